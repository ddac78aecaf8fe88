import express, { type RequestHandler } from "express";
import { AppError } from "../errors.js";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  return length !== undefined && length !== "0";
}

/**
 * JSON only: a body of any other content type is 415 (a POST without a body is fine),
 * over 100 kB is 413, malformed JSON is 400 (body-parser's errors are translated in the
 * error handler). `strict` refuses top-level primitives.
 */
export function jsonBody(): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (METHODS_WITH_BODY.has(req.method) && hasBody(req.headers) && !req.is("application/json")) {
      return next(new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json."));
    }
    next();
  };
  return [requireJson, express.json({ limit: "100kb", strict: true, type: "application/json" })];
}

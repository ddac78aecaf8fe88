import express, { type RequestHandler } from "express";
import { AppError } from "../errors.js";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  return length !== undefined && length !== "0";
}

/** The charset a Content-Type declares, lower-cased, or undefined when it declares none. */
function declaredCharset(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")?.[1]?.toLowerCase();
}

/**
 * JSON only: a body of any other content type is 415 (a POST without a body is fine), and
 * so is JSON in any charset but UTF-8, the only one JSON allows (a short body decoded as
 * UTF-16 becomes an empty string, which the parser would read as `{}`),
 * over 100 kB is 413, malformed JSON is 400 (body-parser's errors are translated in the
 * error handler). `strict` refuses top-level primitives.
 */
export function jsonBody(): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (METHODS_WITH_BODY.has(req.method) && hasBody(req.headers)) {
      const charset = declaredCharset(req.headers["content-type"]);
      if (!req.is("application/json") || (charset !== undefined && charset !== "utf-8" && charset !== "utf8")) {
        return next(new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json in UTF-8."));
      }
    }
    next();
  };
  return [requireJson, express.json({ limit: "100kb", strict: true, type: "application/json" })];
}

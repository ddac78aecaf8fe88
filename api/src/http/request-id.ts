import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a sane value, else a new one. */
export function chooseRequestId(inbound: string | string[] | undefined): string {
  return typeof inbound === "string" && SANE_REQUEST_ID.test(inbound) ? inbound : randomUUID();
}

/** Keeps the caller's X-Request-Id when it is a sane value, else makes one; echoes it back. */
export const requestId: RequestHandler = (req, res, next) => {
  const id = chooseRequestId(req.get("x-request-id"));
  req.id = id;
  res.setHeader("X-Request-Id", id);
  next();
};

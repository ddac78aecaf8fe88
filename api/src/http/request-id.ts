import { randomUUID } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a sane value, else a new one. */
export function chooseRequestId(inbound: string | string[] | undefined): string {
  return typeof inbound === "string" && SANE_REQUEST_ID.test(inbound) ? inbound : randomUUID();
}

function assignRequestId(req: Request, res: Response): void {
  const id = chooseRequestId(req.headers["x-request-id"]);
  req.id = id;
  res.setHeader("X-Request-Id", id);
}

/** Keeps the caller's X-Request-Id when it is a sane value, else makes one; echoes it back. */
export const requestId: RequestHandler = (req, res, next) => {
  assignRequestId(req, res);
  next();
};

/**
 * What every request gets first, the liveness probe included: its id, and
 * `Connection: close` once the server drains, so keep-alive clients move to another
 * instance (DECISIONS 12). One middleware, as it runs on every request.
 */
export function requestBasics(lifecycle: { readonly draining: boolean }): RequestHandler {
  return (req, res, next) => {
    assignRequestId(req, res);
    if (lifecycle.draining) res.setHeader("Connection", "close");
    next();
  };
}

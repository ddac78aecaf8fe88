import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a sane value, else a new one. */
export function chooseRequestId(inbound: string | string[] | undefined): string {
  return typeof inbound === "string" && SANE_REQUEST_ID.test(inbound) ? inbound : randomUUID();
}

/**
 * Express's first middleware: the request's id (`req.id`), echoed as X-Request-Id, and
 * `Connection: close` once the server drains, so keep-alive clients move to another
 * instance.
 */
export function requestBasics(lifecycle: { readonly draining: boolean }): RequestHandler {
  return (req, res, next) => {
    req.id = chooseRequestId(req.headers["x-request-id"]);
    res.setHeader("X-Request-Id", req.id);
    if (lifecycle.draining) res.setHeader("Connection", "close");
    next();
  };
}

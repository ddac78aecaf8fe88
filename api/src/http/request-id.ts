import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a sane value, else a new one. */
export function chooseRequestId(inbound: string | string[] | undefined): string {
  return typeof inbound === "string" && SANE_REQUEST_ID.test(inbound) ? inbound : randomUUID();
}

/**
 * What every request gets first, the routes answered before Express included: its id,
 * echoed as X-Request-Id, and `Connection: close` once the server drains, so keep-alive
 * clients move to another instance. Returns the id.
 */
export function stampRequest(req: IncomingMessage, res: ServerResponse, lifecycle: { readonly draining: boolean }): string {
  const id = chooseRequestId(req.headers["x-request-id"]);
  res.setHeader("X-Request-Id", id);
  if (lifecycle.draining) res.setHeader("Connection", "close");
  return id;
}

/** `stampRequest` as Express's first middleware; the id is `req.id`. */
export function requestBasics(lifecycle: { readonly draining: boolean }): RequestHandler {
  return (req, res, next) => {
    req.id = stampRequest(req, res, lifecycle);
    next();
  };
}

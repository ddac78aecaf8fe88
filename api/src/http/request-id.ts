import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps the caller's X-Request-Id when it is a sane value, else makes one; echoes it back. */
export const requestId: RequestHandler = (req, res, next) => {
  const inbound = req.get("x-request-id");
  const id = inbound && SANE_REQUEST_ID.test(inbound) ? inbound : randomUUID();
  req.id = id;
  res.setHeader("X-Request-Id", id);
  next();
};

import type { ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Logger } from "../logger.js";

/**
 * One line per request when its response is finished, and `req.log`: a child logger that
 * stamps the request id on every line written for the request. Mount after `requestId`.
 *
 * It replaces pino-http, which cost about 70 µs of CPU per request (two or three child
 * loggers with the serialized request bound into each, listeners and bookkeeping we do
 * not use); this writes the same line, only what an operator needs, for about a third of
 * that (bench/README.md). Bodies, cookies and headers never reach the logs.
 */
export function requestLogger(logger: Logger): RequestHandler {
  const access = accessLogger(logger);
  return (req, res, next) => {
    req.log = logger.child({ requestId: req.id });
    logWhenDone(access, req.id, res, { method: req.method, url: req.originalUrl.split("?")[0] ?? "" });
    next();
  };
}

/**
 * The logger of the request lines. They hold only what this module puts in them (request
 * id, method, path without query, status, time), so redaction has nothing to find there,
 * and it was about a third of a line's cost: measured on the webhook at info level, the
 * two lines per event were 65 µs of its 270 µs of CPU (bench/README.md). Every other line
 * goes through the redacting logger as before.
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/** What a handler may add to its request's line (logWhenDone). */
export interface RequestLine {
  /**
   * Puts these fields on the request's one line and names it, so a route whose answer
   * has one outcome worth logging (a webhook event) writes one line, not two. The line
   * is not redacted: only identifiers and outcomes belong here.
   */
  describe(fields: Record<string, unknown>, msg: string): void;
}

/**
 * Writes the request's one line when its response finishes ("request completed", at
 * error/warn/info by status) or the client goes away first ("request aborted"). Shared
 * by every route, including the webhook endpoint that is answered before Express.
 */
export function logWhenDone(
  access: Logger,
  requestId: string,
  res: ServerResponse,
  request: { method: string; url: string },
  onFinished?: (status: number, seconds: number) => void,
): RequestLine {
  const started = process.hrtime.bigint();
  let details: Record<string, unknown> | undefined;
  let msg = "request completed";
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const line = () => ({ requestId, req: request, res: { statusCode: res.statusCode }, responseTime: Math.round(elapsed() * 1000), ...details });
  const onFinish = () => {
    res.off("close", onClose);
    const status = res.statusCode;
    onFinished?.(status, elapsed());
    access[status >= 500 ? "error" : status >= 400 ? "warn" : "info"](line(), msg);
  };
  const onClose = () => {
    res.off("finish", onFinish);
    access.warn(line(), "request aborted");
  };
  res.once("finish", onFinish);
  res.once("close", onClose);
  return {
    describe(fields, name) {
      details = fields;
      msg = name;
    },
  };
}

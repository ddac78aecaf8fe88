import type { ServerResponse } from "node:http";
import type { Express, Request, RequestHandler } from "express";
import type { Logger } from "../logger.js";
import { routeLabel, trackRoutes } from "../metrics/http-metrics.js";
import type { Metrics } from "../metrics/metrics.js";

const LOG = Symbol("log");

/**
 * Observes every request after it: one line when its response is finished, its HTTP
 * metrics (duration by route pattern and status), and `req.log`, a child logger that
 * stamps the request id on every line written for the request. Mount after the request id.
 *
 * One pair of listeners per request does both the line and the metrics; `req.log` and the
 * route label are accessors on the app's request prototype, set up once, and the child
 * logger is made only when a route writes a line of its own. It replaces pino-http, which
 * cost about 70 µs of CPU per request (two or three child loggers with the serialized
 * request bound into each, listeners and bookkeeping we do not use), bench/README.md.
 * Bodies, cookies and headers never reach the logs.
 */
export function observeRequests(app: Express, logger: Logger, metrics: Metrics): RequestHandler {
  const access = accessLogger(logger);
  trackRoutes(app.request);
  Object.defineProperty(app.request, "log", {
    configurable: true,
    get(this: Request & { [LOG]?: Logger }) {
      return (this[LOG] ??= logger.child({ requestId: this.id }));
    },
    set(this: Request & { [LOG]?: Logger }, value: Logger) {
      this[LOG] = value;
    },
  });
  return (req, res, next) => {
    const method = req.method;
    logWhenDone(access, req.id, res, { method, url: req.originalUrl.split("?")[0] ?? "" }, (status, seconds) =>
      metrics.httpRequest({ method, route: routeLabel(req), status, seconds }),
    );
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

import type { Express, Request, RequestHandler, Response } from "express";
import type { Logger } from "../logger.js";
import { routeLabel, trackRoutes } from "../metrics/http-metrics.js";
import type { Metrics } from "../metrics/metrics.js";

const LOG = Symbol("log");
const LINE = Symbol("requestLine");

/** Probes the orchestrator and load balancer poll every few seconds: their lines are debug. */
const POLLED_ROUTES = new Set(["/health", "/ready"]);

type Described = Response & { [LINE]?: { fields: Record<string, unknown>; msg: string } };

/**
 * The one request logger, for every route: one line when the response is finished (or
 * the client went away first), and the request's HTTP metrics (duration by route pattern
 * and status). It also gives `req.log`, a child logger that stamps the request id on every
 * line a route writes. Mount right after the request id.
 *
 * A line holds only what this module puts in it: request id, method, path without query,
 * route pattern, client address (`req.ip`, as `trust proxy` resolves it), the user id when
 * authenticated, status and duration, plus what the route adds with `describeRequest`.
 * Headers, cookies, query strings and bodies never reach it, so no Authorization, Cookie,
 * Set-Cookie or Stripe-Signature can leak through a request line.
 */
export function observeRequests(app: Express, logger: Logger, metrics: Metrics): RequestHandler {
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
    const started = process.hrtime.bigint();
    const url = req.originalUrl.split("?")[0] ?? "";
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const line = (route: string) => ({
      requestId: req.id,
      req: { method: req.method, url, route, ip: req.ip },
      ...(req.user ? { userId: req.user.id } : {}),
      res: { statusCode: res.statusCode },
      responseTime: Math.round(seconds() * 1000),
      ...(res as Described)[LINE]?.fields,
    });
    const onFinish = () => {
      res.off("close", onClose);
      const route = routeLabel(req);
      const status = res.statusCode;
      metrics.httpRequest({ method: req.method, route, status, seconds: seconds() });
      const level = POLLED_ROUTES.has(route) ? "debug" : status >= 500 ? "error" : status >= 400 ? "warn" : "info";
      logger[level](line(route), (res as Described)[LINE]?.msg ?? "request completed");
    };
    const onClose = () => {
      res.off("finish", onFinish);
      logger.warn(line(routeLabel(req)), "request aborted");
    };
    res.once("finish", onFinish);
    res.once("close", onClose);
    next();
  };
}

/**
 * Puts these fields on the request's one line and names it, so a route whose answer has
 * one outcome worth logging (a webhook event) writes one line, not two. Only identifiers
 * and outcomes belong here.
 */
export function describeRequest(res: Response, fields: Record<string, unknown>, msg: string): void {
  (res as Described)[LINE] = { fields, msg };
}

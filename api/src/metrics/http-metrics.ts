import type { Request, RequestHandler } from "express";
import type { Metrics } from "./metrics.js";

/**
 * The route label is the matched Express pattern (`/orders/:id`), never the raw URL, so
 * ids and scanners' random paths cannot grow the label set. Anything no route answered
 * (404s, bodies refused before routing) shares one label.
 */
export function routeLabel(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (pattern === undefined) return "unmatched";
  return `${req.baseUrl}${String(pattern)}` || "/";
}

/** Times every request to its last byte and records it under its route and status. */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequest({ method: req.method, route: routeLabel(req), status: res.statusCode, seconds });
    });
    next();
  };
}

import type { Request, RequestHandler } from "express";
import type { Metrics } from "./metrics.js";

/**
 * The route label is the matched Express pattern (`/auth/me`, `/orders/:id`), never the raw
 * URL, so ids and scanners' random paths cannot grow the label set. Anything no route
 * answered (404s, bodies refused before routing) shares one label.
 *
 * The mount path (`/auth`) is read when Express assigns `req.route`: by the time the
 * response finishes, a router that passed an error on has already restored `req.baseUrl`.
 */
function trackRoute(req: Request): () => string {
  let route: { path?: unknown } | undefined;
  let mountPath = "";
  Object.defineProperty(req, "route", {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: { path?: unknown } | undefined) {
      route = value;
      mountPath = req.baseUrl;
    },
  });
  return () => (route?.path === undefined ? "unmatched" : `${mountPath}${String(route.path)}` || "/");
}

/** Times every request to its last byte and records it under its route and status. */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const routeLabel = trackRoute(req);
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequest({ method: req.method, route: routeLabel(), status: res.statusCode, seconds });
    });
    next();
  };
}

import type { Request } from "express";

const ROUTE = Symbol("route");
const MOUNT = Symbol("mountPath");
type Tracked = Request & { [ROUTE]?: { path?: unknown }; [MOUNT]?: string };

/**
 * Makes `routeLabel` work for the requests of one app: the route label is the matched
 * Express pattern (`/auth/me`, `/orders/:id`), never the raw URL, so ids and scanners'
 * random paths cannot grow the label set. Anything no route answered (404s, bodies
 * refused before routing) shares one label.
 *
 * The mount path (`/auth`) is read when Express assigns `req.route`: by the time the
 * response finishes, a router that passed an error on has already restored `req.baseUrl`.
 * The accessor sits on the app's request prototype (`app.request`), set up once, so a
 * request pays nothing for it.
 */
export function trackRoutes(requestPrototype: object): void {
  Object.defineProperty(requestPrototype, "route", {
    configurable: true,
    enumerable: true,
    get(this: Tracked) {
      return this[ROUTE];
    },
    set(this: Tracked, value: { path?: unknown } | undefined) {
      this[ROUTE] = value;
      this[MOUNT] = this.baseUrl;
    },
  });
}

/** The label of a finished request (after `trackRoutes` on its app). */
export function routeLabel(req: Request): string {
  const { [ROUTE]: route, [MOUNT]: mountPath = "" } = req as Tracked;
  return route?.path === undefined ? "unmatched" : `${mountPath}${String(route.path)}` || "/";
}

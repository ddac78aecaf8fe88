import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppContext } from "../context.js";
import { stampRequest } from "../http/request-id.js";

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const BODY = JSON.stringify({ status: "ok" });
// As Express matched the route: any case, an optional trailing slash, any query string.
const PATH = /^\/health\/?(?:\?.*)?$/i;

/**
 * GET /health, liveness: the process answers. No database call, so a database outage never
 * gets healthy instances killed by the orchestrator. It is answered before Express
 * (app.ts), like Stripe's webhook: an orchestrator polls it every few seconds, the answer is
 * always the same, and Express's per-request setup was most of its cost (bench/README.md).
 * It keeps what every answer has: its request id, `Connection: close` while draining,
 * helmet's headers and the CORS policy (the same middleware instances as Express's routes).
 * It writes no log line and no metrics; a preflight (OPTIONS) goes through Express.
 */
export function createLivenessEndpoint(ctx: AppContext, securityHeaders: Middleware, corsPolicy: Middleware) {
  return {
    matches: (req: IncomingMessage) => (req.method === "GET" || req.method === "HEAD") && PATH.test(req.url ?? ""),
    handle(req: IncomingMessage, res: ServerResponse): void {
      stampRequest(req, res, ctx.lifecycle);
      securityHeaders(req, res, () =>
        corsPolicy(req, res, () => {
          res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(BODY) });
          res.end(BODY);
        }),
      );
    },
  };
}

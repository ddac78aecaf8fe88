import { createHash, timingSafeEqual } from "node:crypto";
import { Router, type RequestHandler } from "express";
import type { AppContext } from "../context.js";
import { unauthenticated } from "../platform/errors.js";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * When `METRICS_TOKEN` is set, the scraper must present it as a Bearer token. Compared
 * as digests in constant time, so neither length nor content leaks through timing.
 */
export function requireMetricsToken(token: string | undefined): RequestHandler {
  if (!token) return (_req, _res, next) => next();
  const expected = digest(token);
  return (req, _res, next) => {
    const presented = /^Bearer (\S+)$/i.exec(req.get("authorization") ?? "")?.[1];
    if (presented && timingSafeEqual(digest(presented), expected)) return next();
    next(unauthenticated("The metrics token is required as a Bearer token."));
  };
}

/** `GET /metrics`: Prometheus text for the scraper (the admin's JSON view lives with the admin feature). */
export function createMetricsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get("/metrics", requireMetricsToken(ctx.config.metricsToken), async (_req, res) => {
    const body = await ctx.metrics.render();
    res.type(ctx.metrics.contentType).send(body);
  });
  return router;
}

import { Router, type RequestHandler } from "express";
import type { AppContext } from "../context.js";
import { checkReadiness } from "./readiness.js";

/**
 * GET /health, liveness: the process answers. No database call, so a database outage
 * never gets healthy instances killed by the orchestrator. app.ts mounts it ahead of the
 * request log and the metrics (an orchestrator polls it every few seconds; an answer
 * that is always the same says nothing a line or a time series would keep).
 */
export const liveness: RequestHandler = (_req, res) => {
  res.json({ status: "ok" });
};

/** GET /ready: readiness, what the load balancer polls (database and migrations). */
export function createHealthRouter(ctx: AppContext): Router {
  const router = Router();

  router.get("/ready", async (_req, res) => {
    const result = await checkReadiness(ctx);
    res.status(result.status === "ready" ? 200 : 503).json(result);
  });

  return router;
}

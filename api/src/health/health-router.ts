import { Router } from "express";
import type { AppContext } from "../context.js";
import { checkReadiness } from "./readiness.js";

/**
 * GET /health: liveness, the process answers (no database call, so a database outage never
 * gets healthy instances killed by the orchestrator). GET /ready: readiness, what the load
 * balancer polls (database and migrations).
 */
export function createHealthRouter(ctx: AppContext): Router {
  const router = Router();

  router.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  router.get("/ready", async (_req, res) => {
    const result = await checkReadiness(ctx);
    res.status(result.status === "ready" ? 200 : 503).json(result);
  });

  return router;
}

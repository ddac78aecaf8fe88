import { Router } from "express";
import type { AppContext } from "../context.js";
import { checkReadiness } from "./readiness.js";

/** GET /ready: readiness, what the load balancer polls (database and migrations). */
export function createHealthRouter(ctx: AppContext): Router {
  const router = Router();

  router.get("/ready", async (_req, res) => {
    const result = await checkReadiness(ctx);
    res.status(result.status === "ready" ? 200 : 503).json(result);
  });

  return router;
}

import { Router } from "express";
import { requireAuth, requireRole } from "../auth/require-auth.js";
import type { AppContext } from "../context.js";
import { inputOf, validate } from "../platform/http/validate.js";
import { getOrderForOperator } from "./admin-service.js";
import { adminOrderParams } from "./schema.js";

const orderSchemas = { params: adminOrderParams };

/** Operator views, ADMIN only: one order with its refunds and events, and this process's counters. */
export function createAdminRouter(ctx: AppContext): Router {
  const router = Router();
  router.use("/admin", requireAuth(ctx), requireRole(ctx, "ADMIN"));

  router.get("/admin/orders/:id", validate(orderSchemas), async (req, res) => {
    const { params } = inputOf(req, orderSchemas);
    res.json(await getOrderForOperator(ctx, params.id));
  });

  router.get("/admin/metrics", (_req, res) => {
    res.json(ctx.metrics.snapshot());
  });

  return router;
}

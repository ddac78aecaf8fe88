import { Router } from "express";
import { requireAuth, requireRole } from "../auth/require-auth.js";
import type { AppContext } from "../context.js";
import { inputOf, validate } from "../http/validate.js";
import { refundBody, refundParams } from "./schema.js";
import { createRefund } from "./refund-service.js";

const schemas = { params: refundParams, body: refundBody };

export function createRefundsRouter(ctx: AppContext): Router {
  const router = Router();
  router.post("/admin/orders/:id/refunds", requireAuth(ctx), requireRole(ctx, "ADMIN"), validate(schemas), async (req, res) => {
    const { params, body } = inputOf(req, schemas);
    const refund = await createRefund(ctx, { orderId: params.id, amount: body.amount }, req.log);
    res.status(201).json({ refund });
  });
  return router;
}

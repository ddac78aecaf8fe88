import { Router } from "express";
import { requireAuth, requireRole } from "../auth/require-auth.js";
import { idempotencyKeyHeader } from "../checkout/schema.js";
import type { AppContext } from "../context.js";
import { validationFailed } from "../platform/errors.js";
import { fieldErrors, inputOf, validate } from "../platform/http/validate.js";
import { refundBody, refundParams } from "./schema.js";
import { requestRefund } from "./refund-service.js";

const schemas = { params: refundParams, body: refundBody };

export function createRefundsRouter(ctx: AppContext): Router {
  const router = Router();
  router.post("/admin/orders/:id/refunds", requireAuth(ctx), requireRole(ctx, "ADMIN"), validate(schemas), async (req, res) => {
    const { params, body } = inputOf(req, schemas);
    const header = idempotencyKeyHeader.safeParse(req.get("idempotency-key"));
    if (!header.success) throw validationFailed(fieldErrors(header.error, "Idempotency-Key"));
    const result = await requestRefund(ctx, { orderId: params.id, amount: body.amount, adminId: req.user!.id, idempotencyKey: header.data }, req.log);
    if (result.replayed) res.setHeader("Idempotent-Replayed", "true");
    res.status(result.status).json(result.body);
  });
  return router;
}

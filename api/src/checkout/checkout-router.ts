import { Router } from "express";
import { requireAuth } from "../auth/require-auth.js";
import type { AppContext } from "../context.js";
import { fieldErrors, inputOf, validate } from "../platform/http/validate.js";
import { validationFailed } from "../platform/errors.js";
import { checkoutBody, idempotencyKeyHeader, sessionParams } from "./schema.js";
import { startCheckout } from "./checkout-service.js";
import { syncCheckoutSession } from "./session-sync.js";
import { createRateLimiter } from "../platform/rate-limit/rate-limiter.js";

const createSchemas = { body: checkoutBody };
const syncSchemas = { params: sessionParams };

export function createCheckoutRouter(ctx: AppContext): Router {
  const router = Router();
  const perUser = createRateLimiter(ctx, {
    name: "checkout",
    limit: ctx.config.checkout.rateLimitPerMinute,
    windowMs: 60_000,
    key: (req) => req.user!.id,
  });
  // The success page's sync may read Stripe; its budget is separate from starting checkouts.
  const perUserSync = createRateLimiter(ctx, {
    name: "sync",
    limit: ctx.config.checkout.syncRateLimitPerMinute,
    windowMs: 60_000,
    key: (req) => req.user!.id,
  });

  router.post("/payments/checkout-session", requireAuth(ctx), perUser, validate(createSchemas), async (req, res) => {
    const { body } = inputOf(req, createSchemas);
    const header = idempotencyKeyHeader.safeParse(req.get("idempotency-key"));
    if (!header.success) throw validationFailed(fieldErrors(header.error, "Idempotency-Key"));
    const result = await startCheckout(ctx, { userId: req.user!.id, lines: body.items, idempotencyKey: header.data }, req.log);
    if (result.replayed) res.setHeader("Idempotent-Replayed", "true");
    res.status(result.status).json(result.body);
  });

  router.get("/payments/checkout-session/:sessionId", requireAuth(ctx), perUserSync, validate(syncSchemas), async (req, res) => {
    const { params } = inputOf(req, syncSchemas);
    res.json({ order: await syncCheckoutSession(ctx, { sessionId: params.sessionId, userId: req.user!.id }, req.log) });
  });

  return router;
}

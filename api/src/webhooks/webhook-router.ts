import express, { Router } from "express";
import type { AppContext } from "../context.js";
import { receiveWebhook } from "./webhook-service.js";

/**
 * POST /webhooks/stripe. Mounted before the JSON parser: the signature covers the exact
 * raw bytes, so this route alone reads the body raw (up to 1 MB, whatever the type).
 */
export function createWebhookRouter(ctx: AppContext): Router {
  const router = Router();
  router.post("/webhooks/stripe", express.raw({ type: () => true, limit: "1mb" }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await receiveWebhook(ctx, body, req.get("stripe-signature"), req.log);
    res.json({ received: true });
  });
  return router;
}

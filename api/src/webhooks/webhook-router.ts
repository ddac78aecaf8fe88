import express, { Router } from "express";
import type { AppContext } from "../context.js";
import { describeRequest } from "../platform/http/request-logger.js";
import { eventLine, receiveWebhook } from "./webhook-service.js";

/**
 * POST /webhooks/stripe. Mounted before the JSON parser: the signature covers the exact
 * bytes, so the body is read raw, whatever its content type, up to 1 MB (Stripe's events
 * are a few kB; beyond that body-parser answers 413). A bad signature is 400 before anything
 * is written; a processing failure goes to the error handler as a 500 (reported to Sentry),
 * so Stripe redelivers. Every applied event, duplicate or not, is 200 `{"received":true}`,
 * and the event's id, type, order and outcome go on the request's own line.
 */
export function createWebhookRouter(ctx: AppContext): Router {
  const router = Router();
  router.post("/webhooks/stripe", express.raw({ type: () => true, limit: "1mb" }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const applied = await receiveWebhook(ctx, body, req.get("stripe-signature"), () => req.log);
    describeRequest(res, eventLine({ id: applied.eventId, type: applied.type }, applied), "webhook event");
    res.status(200).json({ received: true });
  });
  return router;
}

import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import { AppError } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import type { FulfilmentResult } from "../payments/fulfilment.js";
import { EventBeforeItsOrderError } from "../refunds/refund-events.js";
import { processEvent } from "./event-handlers.js";

const invalidSignature = (detail: string) => new AppError("INVALID_SIGNATURE", detail);

/**
 * Verifies Stripe's signature over the raw body (with the injected clock, so tolerance
 * tests need no sleeping), then applies the event. Throws before anything is written when
 * the signature is missing, wrong, or outside the tolerance; a processing failure
 * propagates, so the answer is 500 and Stripe redelivers. Never acknowledge first.
 *
 * An applied event is logged on its request's line (the caller's); only the events that
 * need a person (a rejection, a dispute, a failure) get a line of their own, through `log`.
 */
export async function receiveWebhook(
  ctx: AppContext,
  rawBody: Buffer,
  signature: string | undefined,
  log: () => Logger,
): Promise<FulfilmentResult & { eventId: string; type: string }> {
  const { webhookSecret, webhookToleranceSeconds } = ctx.config.stripe;
  if (!signature) {
    ctx.metrics.webhookEvent("unknown", "invalid_signature");
    throw invalidSignature("The Stripe-Signature header is missing.");
  }
  const nowMs = ctx.clock.now().getTime();
  // Decoded once here: given a Buffer, the SDK decodes it twice (to check, then to parse),
  // and the ledger stores the same text.
  const payload = rawBody.toString("utf8");
  let event: Stripe.Event;
  try {
    event = ctx.stripe.webhooks.constructEvent(payload, signature, webhookSecret, webhookToleranceSeconds, undefined, nowMs);
    // The SDK only refuses old timestamps; a signature from far in the future is as suspect.
    const signedAt = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1]);
    if (signedAt * 1000 - nowMs > webhookToleranceSeconds * 1000) throw new Error("timestamp in the future");
  } catch {
    ctx.metrics.webhookEvent("unknown", "invalid_signature");
    throw invalidSignature("The Stripe signature is invalid or outside the tolerance.");
  }

  ctx.metrics.webhookEvent(event.type, "received");
  let result: FulfilmentResult;
  try {
    result = await processEvent(ctx, event, payload);
  } catch (err) {
    ctx.metrics.webhookEvent(event.type, "error");
    if (err instanceof EventBeforeItsOrderError) {
      log().warn({ eventId: event.id, type: event.type, orderId: err.orderId }, "event arrived before its order's session event; answering 500 so Stripe redelivers");
      throw new AppError("INTERNAL", "The event's order is not ready yet; it will be retried.", { cause: err });
    }
    log().error({ eventId: event.id, type: event.type, err }, "webhook event failed; answering 500 so Stripe redelivers");
    // Always 500 (never 503 or 200), whatever failed: Stripe must redeliver.
    throw new AppError("INTERNAL", "The event could not be processed; it will be retried.", { cause: err });
  }
  ctx.metrics.webhookEvent(event.type, result.outcome);
  ctx.metrics.webhookLag(event.type, event.created, ctx.clock.now());
  if (result.outcome === "rejected") {
    log().error(eventLine(event, result), "webhook event rejected: it contradicts the order (amount, currency, session or expired order); refund or investigate");
  } else if (event.type.startsWith("charge.dispute.")) {
    log().warn(eventLine(event, result), "dispute event: review it in the Stripe dashboard");
  }
  return { ...result, eventId: event.id, type: event.type };
}

/** An applied event as its log lines show it. */
export function eventLine(event: { id: string; type: string }, result: FulfilmentResult): Record<string, unknown> {
  return { eventId: event.id, type: event.type, orderId: result.orderId, outcome: result.outcome, from: result.previous, to: result.next };
}

import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import { applySessionState, recordEvent, type FulfilmentResult, type LedgerEntry } from "../payments/fulfilment.js";
import { applyChargeRefunded, applyRefundUpdated, recordDispute } from "../refunds/refund-events.js";

type Handler = (ctx: AppContext, event: Stripe.Event, entry: LedgerEntry) => Promise<FulfilmentResult>;

const onSession: Handler = (ctx, event, entry) =>
  applySessionState(ctx, event.data.object as Stripe.Checkout.Session, entry);

const onRefund: Handler = (ctx, event, entry) => applyRefundUpdated(ctx, event.data.object as Stripe.Refund, entry);

/**
 * Event type → handler. Every handler records the event in the ledger in the same
 * statement or transaction as the change it causes. Types not listed are recorded as
 * `ignored` and answered 200, so Stripe stops sending them.
 */
const handlers: Record<string, Handler> = {
  "checkout.session.completed": onSession,
  "checkout.session.async_payment_succeeded": onSession,
  "checkout.session.async_payment_failed": onSession,
  "checkout.session.expired": onSession,
  "charge.refunded": (ctx, event, entry) => applyChargeRefunded(ctx, event.data.object as Stripe.Charge, entry),
  "charge.refund.updated": onRefund,
  "refund.updated": onRefund,
  "refund.failed": onRefund,
  "charge.dispute.created": (ctx, event, entry) => recordDispute(ctx, event.data.object as Stripe.Dispute, entry),
  "charge.dispute.closed": (ctx, event, entry) => recordDispute(ctx, event.data.object as Stripe.Dispute, entry),
};

/** The event types the API acts on: what the webhook endpoint subscribes to and reconciliation fetches. */
export const HANDLED_EVENT_TYPES = Object.keys(handlers) as Stripe.WebhookEndpointCreateParams.EnabledEvent[];

/** Applies one verified event. Shared by the webhook and reconciliation. */
export async function processEvent(ctx: AppContext, event: Stripe.Event, payloadJson: string): Promise<FulfilmentResult> {
  const entry: LedgerEntry = { id: event.id, type: event.type, payloadJson };
  const handler = handlers[event.type];
  if (handler) return handler(ctx, event, entry);
  const outcome = await recordEvent(ctx, entry, "ignored");
  return { outcome, orderId: null, previous: null, next: null };
}

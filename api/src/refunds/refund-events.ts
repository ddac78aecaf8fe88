import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import { insertLedgerRow, ledgerTransaction, recordEvent, type FulfilmentResult, type LedgerEntry } from "../payments/fulfilment.js";
import { withDeadline } from "../platform/stripe/stripe-client.js";
import { lockOrder, recomputeRefunds, upsertStripeRefund, type LockedOrder, type Tx } from "./refund-ledger.js";

type StripeRef = string | { id: string; metadata?: Stripe.Metadata | null } | null | undefined;
type StripeRefund = { id: string; amount: number; status: string | null; metadata?: Record<string, string> | null };

const idOf = (value: StripeRef) => (typeof value === "string" ? value : (value?.id ?? null));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Thrown for an event that names an order of ours whose session event has not been
 * applied yet (no payment intent stored): answered 500, so Stripe redelivers it later.
 */
export class EventBeforeItsOrderError extends Error {
  constructor(readonly orderId: string) {
    super(`order ${orderId} has no payment intent yet; its checkout session event is still to come`);
  }
}

/**
 * `charge.refunded`: the charge lists its refunds when Stripe includes them; otherwise they
 * are listed from Stripe before the transaction (a failure there is a 500, so Stripe
 * redelivers). Refund rows are keyed by Stripe's refund id, so refunds already recorded
 * by the API call count once.
 */
export async function applyChargeRefunded(ctx: AppContext, charge: Stripe.Charge, entry: LedgerEntry): Promise<FulfilmentResult> {
  const paymentIntent = idOf(charge.payment_intent);
  if (!paymentIntent) return ignoredEvent(ctx, entry);
  const namedOrderId = await orderNamedBy(ctx, paymentIntent, [charge.metadata, metadataOf(charge.payment_intent)]);
  // Stripe's current API versions do not embed a charge's refunds: list them, every page.
  const refunds: StripeRefund[] = charge.refunds?.data?.length
    ? charge.refunds.data
    : await withDeadline(ctx.config.stripe.deadlineMs, () =>
        ctx.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 }).autoPagingToArray({ limit: 10_000 }),
      );
  return settleRefunds(ctx, entry, paymentIntent, namedOrderId, refunds);
}

/**
 * `charge.refund.updated`, `refund.updated` and `refund.failed`: the refund's newest state
 * settles its row (status only forward) and the order's refunded sum is recomputed.
 */
export async function applyRefundUpdated(ctx: AppContext, refund: Stripe.Refund, entry: LedgerEntry): Promise<FulfilmentResult> {
  const paymentIntent = idOf(refund.payment_intent);
  if (!paymentIntent) return ignoredEvent(ctx, entry);
  const namedOrderId = await orderNamedBy(ctx, paymentIntent, [refund.metadata, metadataOf(refund.payment_intent)]);
  return settleRefunds(ctx, entry, paymentIntent, namedOrderId, [refund]);
}

/**
 * One transaction: the order is matched and locked before the ledger row is inserted (its
 * foreign key locks the order too), the event is recorded once, then its refunds settled.
 */
async function settleRefunds(
  ctx: AppContext,
  entry: LedgerEntry,
  paymentIntent: string,
  namedOrderId: string | undefined,
  refunds: StripeRefund[],
): Promise<FulfilmentResult> {
  return ledgerTransaction(ctx, async (tx): Promise<FulfilmentResult> => {
    const order = await matchOrder(tx, paymentIntent, namedOrderId);
    const duplicate: FulfilmentResult = { outcome: "duplicate", orderId: order?.id ?? null, previous: order?.status ?? null, next: null };
    await insertLedgerRow(tx, entry, order?.id ?? null, order ? "processed" : "ignored", duplicate);
    if (!order) return { outcome: "ignored", orderId: null, previous: null, next: null };
    for (const refund of refunds) await upsertStripeRefund(tx, order.id, refund);
    const { status } = await recomputeRefunds(tx, order, ctx.clock.now());
    return { outcome: "processed", orderId: order.id, previous: order.status, next: status };
  });
}

/**
 * The order a payment belongs to, locked: by its stored payment intent, else by the order
 * the payment's metadata names. A named order still waiting for its session event (pending
 * or processing, no payment intent) throws EventBeforeItsOrderError; any other order is no
 * match (its payment is another one, or it will never be paid).
 */
async function matchOrder(tx: Tx, paymentIntent: string, namedOrderId: string | undefined): Promise<LockedOrder | undefined> {
  const stored = await lockOrder(tx, { paymentIntentId: paymentIntent });
  if (stored || !namedOrderId) return stored;
  const named = await lockOrder(tx, { id: namedOrderId });
  if (!named || named.stripePaymentIntentId !== null) return undefined;
  if (named.status === "pending" || named.status === "processing") throw new EventBeforeItsOrderError(named.id);
  return undefined;
}

/**
 * The order id in `metadata.orderId` of the charge, refund or payment intent, read only
 * when no order holds the payment intent yet. Checkout sets it on the payment intent; when
 * the event does not carry it, the payment intent is read from Stripe (before any
 * transaction). A payment intent Stripe does not know names no order.
 */
async function orderNamedBy(ctx: AppContext, paymentIntent: string, carried: (Stripe.Metadata | null | undefined)[]): Promise<string | undefined> {
  const stored = await ctx.prisma.order.findUnique({ where: { stripePaymentIntentId: paymentIntent }, select: { id: true } });
  if (stored) return undefined;
  const fromEvent = carried.map((m) => m?.orderId).find((id) => id !== undefined);
  const orderId =
    fromEvent ??
    (await withDeadline(ctx.config.stripe.deadlineMs, () => ctx.stripe.paymentIntents.retrieve(paymentIntent)).then(
      (pi) => pi.metadata?.orderId,
      (err: unknown) => {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      },
    ));
  return orderId && UUID.test(orderId) ? orderId : undefined;
}

const metadataOf = (ref: StripeRef) => (typeof ref === "object" ? ref?.metadata : undefined);

/** Disputes are recorded for operators (the webhook logs them at warn level); they change no status. */
export async function recordDispute(ctx: AppContext, dispute: Stripe.Dispute, entry: LedgerEntry): Promise<FulfilmentResult> {
  const paymentIntent = idOf(dispute.payment_intent);
  const order = paymentIntent
    ? await ctx.prisma.order.findUnique({ where: { stripePaymentIntentId: paymentIntent }, select: { id: true, status: true } })
    : null;
  const outcome = await recordEvent(ctx, entry, "processed", order?.id ?? null);
  return { outcome, orderId: order?.id ?? null, previous: order?.status ?? null, next: null };
}

async function ignoredEvent(ctx: AppContext, entry: LedgerEntry): Promise<FulfilmentResult> {
  const outcome = await recordEvent(ctx, entry, "ignored");
  return { outcome, orderId: null, previous: null, next: null };
}

import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import { countTransition, recordEvent, type FulfilmentResult, type LedgerEntry } from "../payments/fulfilment.js";
import { withDeadline } from "../stripe/stripe-client.js";
import { insertLedgerRow, lockOrder, recomputeRefunds, upsertStripeRefund } from "./refund-ledger.js";

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === "string" ? value : (value?.id ?? null));

/**
 * `charge.refunded`: the order is matched by its stored payment intent. The charge lists
 * its refunds when Stripe includes them; otherwise they are listed from Stripe (a failure
 * there is a 500, so Stripe redelivers). Refund rows are keyed by Stripe's refund id, so
 * refunds already recorded by the API call count once.
 */
export async function applyChargeRefunded(ctx: AppContext, charge: Stripe.Charge, entry: LedgerEntry): Promise<FulfilmentResult> {
  const paymentIntent = idOf(charge.payment_intent);
  if (!paymentIntent) return ignoredEvent(ctx, entry);
  // Stripe's current API versions do not embed a charge's refunds: list them, every page.
  const refunds = charge.refunds?.data?.length
    ? charge.refunds.data
    : await withDeadline(ctx.config.stripe.deadlineMs, () =>
        ctx.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 }).autoPagingToArray({ limit: 10_000 }),
      );

  const result = await ctx.prisma.$transaction(async (tx): Promise<FulfilmentResult> => {
    const order = await lockOrder(tx, { paymentIntentId: paymentIntent });
    if (!(await insertLedgerRow(tx, entry, order?.id ?? null, order ? "processed" : "ignored"))) {
      return { outcome: "duplicate", orderId: order?.id ?? null, previous: order?.status ?? null, next: null };
    }
    if (!order) return { outcome: "ignored", orderId: null, previous: null, next: null };
    for (const refund of refunds) await upsertStripeRefund(tx, order.id, refund);
    const { status } = await recomputeRefunds(tx, order, ctx.clock.now());
    return { outcome: "processed", orderId: order.id, previous: order.status, next: status };
  });
  return countTransition(ctx, result);
}

/** `charge.refund.updated`: a refund that later fails is marked failed and the sum recomputed. */
export async function applyRefundUpdated(ctx: AppContext, refund: Stripe.Refund, entry: LedgerEntry): Promise<FulfilmentResult> {
  const paymentIntent = idOf(refund.payment_intent);
  if (!paymentIntent) return ignoredEvent(ctx, entry);
  const result = await ctx.prisma.$transaction(async (tx): Promise<FulfilmentResult> => {
    const order = await lockOrder(tx, { paymentIntentId: paymentIntent });
    if (!(await insertLedgerRow(tx, entry, order?.id ?? null, order ? "processed" : "ignored"))) {
      return { outcome: "duplicate", orderId: order?.id ?? null, previous: order?.status ?? null, next: null };
    }
    if (!order) return { outcome: "ignored", orderId: null, previous: null, next: null };
    await upsertStripeRefund(tx, order.id, refund);
    const { status } = await recomputeRefunds(tx, order, ctx.clock.now());
    return { outcome: "processed", orderId: order.id, previous: order.status, next: status };
  });
  return countTransition(ctx, result);
}

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

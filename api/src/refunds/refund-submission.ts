import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import { AppError } from "../platform/errors.js";
import type { Prisma, Refund } from "../generated/prisma/client.js";
import type { Logger } from "../platform/logger.js";
import { callStripe } from "../platform/stripe/stripe-client.js";
import { lockOrder, recomputeRefunds, upsertStripeRefund } from "./refund-ledger.js";

export interface RefundView {
  id: string;
  amount: number;
  status: "pending" | "succeeded" | "failed";
}

/** 201: Stripe answered; 202: its outcome is unknown and the amount stays reserved. */
export interface RefundAnswer {
  status: 201 | 202;
  body: { refund: RefundView };
}

export interface Reservation {
  id: string;
  orderId: string;
  amount: number;
  paymentIntent: string;
}

/** A Stripe refund still `pending` is read again after this long (its events may never come). */
export const RECHECK_PENDING_MS = 60 * 60 * 1000;

/** How long after its deadline an in-flight call may still be writing Stripe's answer down. */
const RECORDING_MARGIN_MS = 5_000;

/**
 * A refund whose Stripe outcome is unknown: sent, but no answer said what Stripe did. That
 * is one marked so (`nextCheckAt`), or one still unanswered well past the Stripe deadline,
 * whose process died mid-call. A reservation whose call is still in flight is not one.
 */
export function unresolvedWhere(now: Date, deadlineMs: number): Prisma.RefundWhereInput {
  const abandonedBefore = new Date(now.getTime() - deadlineMs - RECORDING_MARGIN_MS);
  return {
    status: "pending",
    stripeRefundId: null,
    OR: [{ nextCheckAt: { not: null } }, { firstAttemptAt: { lt: abandonedBefore } }],
  };
}

/** A refund as the API shows it: by our row's id, which exists before Stripe names the refund. */
export const viewOf = (row: Pick<Refund, "id" | "amount" | "status">): RefundView => ({
  id: row.id,
  amount: row.amount,
  status: row.status,
});

/**
 * Sends a reserved refund to Stripe, keyed by the row's id, and records the answer. Also
 * how a resolution resubmits it: the same key and parameters make Stripe return the refund
 * it made, or make it now. No answer, a timeout, any 5xx, a 409 or a 429 leave the outcome
 * unknown: the amount stays reserved and the row is marked for resolution. Only a refusal
 * (another 4xx) releases it.
 */
export async function submitRefund(ctx: AppContext, reservation: Reservation, log: Logger): Promise<RefundAnswer> {
  let stripeRefund: Stripe.Refund;
  try {
    stripeRefund = await callStripe(ctx, log, "refunds.create", { orderId: reservation.orderId, refundId: reservation.id }, () =>
      ctx.stripe.refunds.create(
        { payment_intent: reservation.paymentIntent, amount: reservation.amount, metadata: { orderId: reservation.orderId, refundId: reservation.id } },
        { idempotencyKey: `refund-${reservation.id}` },
      ),
    );
  } catch (err) {
    if (err instanceof AppError && err.code === "PAYMENT_PROVIDER_ERROR") {
      // Stripe refused: nothing was refunded, release the reservation.
      await ctx.prisma.refund.updateMany({
        where: { id: reservation.id, status: "pending", stripeRefundId: null },
        data: { status: "failed", nextCheckAt: null },
      });
      ctx.metrics.refund("failed");
      throw err;
    }
    await markUnresolved(ctx, reservation.id);
    if (err instanceof AppError && err.code === "PAYMENT_PROVIDER_UNAVAILABLE") {
      log.warn({ orderId: reservation.orderId, refundId: reservation.id, amount: reservation.amount }, "refund outcome unknown; kept pending");
      return { status: 202, body: { refund: { id: reservation.id, amount: reservation.amount, status: "pending" } } };
    }
    throw err;
  }

  let recorded: Pick<Refund, "id" | "amount" | "status">;
  try {
    recorded = await recordStripeRefund(ctx, reservation, stripeRefund);
  } catch (err) {
    // Stripe made the refund but we could not write it down: resolve it, never make another.
    await markUnresolved(ctx, reservation.id).catch(() => undefined);
    throw err;
  }
  ctx.metrics.refund(recorded.status);
  log.info({ orderId: reservation.orderId, refundId: stripeRefund.id, amount: reservation.amount, status: recorded.status }, "refund created");
  return { status: 201, body: { refund: viewOf(recorded) } };
}

/** The row is due for resolution now (a later request or maintenance looks it up). */
async function markUnresolved(ctx: AppContext, refundId: string): Promise<void> {
  await ctx.prisma.refund.updateMany({
    where: { id: refundId, status: "pending", stripeRefundId: null },
    data: { nextCheckAt: ctx.clock.now() },
  });
}

/**
 * Records what Stripe says of our reservation, under the order's lock, and recomputes the
 * order's refundedAmount. Our row is settled by the refund's metadata; when an event already
 * recorded the refund as a row of its own, ours is removed so the refund counts once. A
 * refund Stripe still has `pending` is read again after an hour.
 */
export async function recordStripeRefund(
  ctx: AppContext,
  reservation: Pick<Reservation, "id" | "orderId">,
  stripeRefund: Stripe.Refund,
): Promise<Pick<Refund, "id" | "stripeRefundId" | "amount" | "status">> {
  const now = ctx.clock.now();
  return ctx.prisma.$transaction(async (tx) => {
    const order = await lockOrder(tx, { id: reservation.orderId });
    const other = await tx.refund.findUnique({ where: { stripeRefundId: stripeRefund.id } });
    if (other && other.id !== reservation.id) await tx.refund.deleteMany({ where: { id: reservation.id, stripeRefundId: null } });
    await upsertStripeRefund(tx, reservation.orderId, { ...stripeRefund, metadata: { ...stripeRefund.metadata, refundId: reservation.id } });
    const row = await tx.refund.findUniqueOrThrow({ where: { stripeRefundId: stripeRefund.id } });
    const settled = await tx.refund.update({
      where: { id: row.id },
      data: { nextCheckAt: row.status === "pending" ? new Date(now.getTime() + RECHECK_PENDING_MS) : null, checkFailures: 0 },
    });
    if (order) await recomputeRefunds(tx, order, now);
    return settled;
  });
}

import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import { AppError } from "../platform/errors.js";
import type { PrismaClient, Refund } from "../generated/prisma/client.js";
import type { Logger } from "../platform/logger.js";
import { callStripe } from "../platform/stripe/stripe-client.js";
import { recordStripeRefund, submitRefund } from "./refund-submission.js";

/**
 * Stripe prunes idempotency keys after 24 hours; a resubmission after that would make a
 * second refund. Past this age a refund Stripe does not know is left to an operator.
 */
export const RESUBMIT_WINDOW_MS = 23 * 60 * 60 * 1000;
/** Back-off for refunds Stripe could not be asked about: 5 min, doubling, at most 6 h. */
const FIRST_BACKOFF_MS = 5 * 60 * 1000;
const MAX_BACKOFF_MS = 6 * 60 * 60 * 1000;

/**
 * - `settled`: Stripe has the refund; its status is recorded.
 * - `resubmitted`: Stripe had none, so it was sent again with the same key; `unknown` when
 *   that got no answer either, `failed` when Stripe refused it.
 * - `unreadable`: Stripe could not be asked; the row backs off (as after `unknown`).
 * - `needs_operator`: Stripe has none and the key may be pruned; left pending.
 */
export type Resolution = "settled" | "resubmitted" | "unknown" | "failed" | "unreadable" | "needs_operator";

type PendingRow = Pick<Refund, "id" | "orderId" | "amount" | "stripeRefundId" | "firstAttemptAt" | "createdAt" | "checkFailures">;

/**
 * Resolves a refund still `pending`. It is looked up at Stripe first: by Stripe's id when
 * known, else among the payment intent's refunds by our row's id in their metadata. Only
 * when Stripe has none and the first attempt is recent enough is it resubmitted with the
 * same idempotency key; never with a new one, which could pay the customer twice.
 */
export async function resolvePendingRefund(ctx: AppContext, row: PendingRow, paymentIntent: string, log: Logger): Promise<Resolution> {
  const context = { orderId: row.orderId, refundId: row.id };
  let found: Stripe.Refund | undefined;
  try {
    found = row.stripeRefundId
      ? await callStripe(ctx, log, "refunds.retrieve", context, () => ctx.stripe.refunds.retrieve(row.stripeRefundId!))
      : await callStripe(ctx, log, "refunds.list", context, () => findByMetadata(ctx, paymentIntent, row.id));
  } catch {
    await backOff(ctx, row);
    return "unreadable";
  }
  if (found) {
    await recordStripeRefund(ctx, row, found);
    return "settled";
  }

  const firstAttemptAt = row.firstAttemptAt ?? row.createdAt;
  const now = ctx.clock.now();
  if (now.getTime() - firstAttemptAt.getTime() >= RESUBMIT_WINDOW_MS) {
    log.error(
      { ...context, amount: row.amount, firstAttemptAt },
      "refund outcome unknown and Stripe has no such refund; too old to resubmit safely, resolve it by hand",
    );
    await ctx.prisma.refund.updateMany({ where: { id: row.id, status: "pending" }, data: { nextCheckAt: new Date(now.getTime() + MAX_BACKOFF_MS) } });
    return "needs_operator";
  }
  try {
    const answer = await submitRefund(ctx, { id: row.id, orderId: row.orderId, amount: row.amount, paymentIntent }, log);
    if (answer.status === 201) return "resubmitted";
    await backOff(ctx, row); // still no answer: ask again later, after the rest
    return "unknown";
  } catch (err) {
    if (err instanceof AppError && err.code === "PAYMENT_PROVIDER_ERROR") return "failed";
    throw err;
  }
}

/** Our refund among the payment intent's, every page (newest first, so usually the first). */
async function findByMetadata(ctx: AppContext, paymentIntent: string, refundId: string): Promise<Stripe.Refund | undefined> {
  for await (const refund of ctx.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })) {
    if (refund.metadata?.refundId === refundId) return refund;
  }
  return undefined;
}

async function backOff(ctx: AppContext, row: PendingRow): Promise<void> {
  const delay = Math.min(FIRST_BACKOFF_MS * 2 ** Math.min(row.checkFailures, 16), MAX_BACKOFF_MS);
  await ctx.prisma.refund.updateMany({
    where: { id: row.id, status: "pending" },
    data: { nextCheckAt: new Date(ctx.clock.now().getTime() + delay), checkFailures: { increment: 1 } },
  });
}

/** Refunds Stripe has no trace of whose first attempt is too old to resubmit: an operator's. */
export function countRefundsNeedingOperator(prisma: PrismaClient, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - RESUBMIT_WINDOW_MS);
  return prisma.refund.count({
    where: {
      status: "pending",
      stripeRefundId: null,
      OR: [{ firstAttemptAt: { lte: cutoff } }, { firstAttemptAt: null, createdAt: { lte: cutoff } }],
    },
  });
}

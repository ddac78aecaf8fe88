import { claimIdempotencyKey, completeIdempotencyKey, dropIdempotencyKey, requestHash } from "../checkout/idempotency.js";
import type { AppContext } from "../context.js";
import { AppError, notFound } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import { lockOrder } from "./refund-ledger.js";
import { resolvePendingRefund } from "./refund-resolution.js";
import { submitRefund, unresolvedWhere, viewOf, type RefundAnswer } from "./refund-submission.js";

const REFUNDABLE = new Set(["paid", "partially_refunded"]);

export interface RefundRequest {
  orderId: string;
  amount?: number;
  adminId: string;
  idempotencyKey?: string;
}

/**
 * A refund with an optional `Idempotency-Key` (per admin, as checkout's): the same key and
 * body replay the first answer, another body is refused. The claim's hash covers the
 * endpoint and the order, so a key can never replay an answer of another endpoint. An answer
 * that made nothing (refused, not refundable, a pending refund) drops the claim, so a retry
 * is decided afresh.
 */
export async function requestRefund(ctx: AppContext, input: RefundRequest, log: Logger): Promise<RefundAnswer & { replayed: boolean }> {
  const { idempotencyKey, ...refund } = input;
  if (idempotencyKey === undefined) return { ...(await createRefund(ctx, refund, log)), replayed: false };
  const hash = requestHash({ scope: "refund", orderId: input.orderId, body: { amount: input.amount ?? null } });
  const claim = await claimIdempotencyKey(ctx, input.adminId, idempotencyKey, hash);
  if (claim.kind === "replay") return { status: claim.status as RefundAnswer["status"], body: claim.body as RefundAnswer["body"], replayed: true };
  let answer: RefundAnswer;
  try {
    answer = await createRefund(ctx, refund, log);
  } catch (err) {
    await dropIdempotencyKey(ctx, claim.row);
    throw err;
  }
  await completeIdempotencyKey(ctx, claim.row, answer.status, answer.body);
  return { ...answer, replayed: false };
}

/**
 * Refunds part or all of a paid order. A `pending` Refund row reserves its amount under
 * the order's row lock BEFORE Stripe is called, so parallel refunds can never together
 * exceed the total; the Stripe call runs outside any transaction, keyed by the row's id.
 * An order with a refund whose outcome is unknown gets no new refund: that refund is
 * resolved first and the request answers 409 REFUND_PENDING with it, so a retry after a
 * lost answer can never pay the customer twice.
 */
export async function createRefund(
  ctx: AppContext,
  input: { orderId: string; amount?: number; adminId: string },
  log: Logger,
): Promise<RefundAnswer> {
  const now = ctx.clock.now();
  const found = await ctx.prisma.$transaction(async (tx) => {
    const order = await lockOrder(tx, { id: input.orderId });
    if (!order) throw notFound("No such order.");
    if (!REFUNDABLE.has(order.status) || !order.stripePaymentIntentId) {
      throw new AppError("ORDER_NOT_REFUNDABLE", `An order in status ${order.status} cannot be refunded.`);
    }
    const paymentIntent = order.stripePaymentIntentId;
    const unresolved = await tx.refund.findFirst({
      where: { orderId: order.id, ...unresolvedWhere(now, ctx.config.stripe.deadlineMs) },
      orderBy: { createdAt: "asc" },
    });
    if (unresolved) return { kind: "unresolved" as const, row: unresolved, paymentIntent };
    const reserved = await tx.refund.aggregate({
      where: { orderId: order.id, status: { in: ["pending", "succeeded"] } },
      _sum: { amount: true },
    });
    const rest = order.amountTotal - (reserved._sum.amount ?? 0);
    const amount = input.amount ?? rest;
    if (amount <= 0 || amount > rest) {
      throw new AppError("REFUND_EXCEEDS_BALANCE", `At most ${Math.max(rest, 0)} ${order.currency} can still be refunded.`);
    }
    const row = await tx.refund.create({
      data: { orderId: order.id, amount, status: "pending", createdBy: input.adminId, firstAttemptAt: now },
    });
    return { kind: "reserved" as const, row, paymentIntent };
  });

  if (found.kind === "unresolved") {
    await resolvePendingRefund(ctx, found.row, found.paymentIntent, log);
    const current = await ctx.prisma.refund.findUnique({ where: { id: found.row.id } });
    throw new AppError("REFUND_PENDING", "This order has a refund whose outcome is not known yet; no new refund was made.", {
      members: { refund: viewOf(current ?? found.row) },
    });
  }
  const { row, paymentIntent } = found;
  return submitRefund(ctx, { id: row.id, orderId: row.orderId, amount: row.amount, paymentIntent }, log);
}


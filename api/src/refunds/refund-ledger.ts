import type { Prisma } from "../generated/prisma/client.js";
import type { OrderStatus } from "../payments/order-state.js";
import { statusAfterRefunds } from "../payments/order-state.js";

export type Tx = Prisma.TransactionClient;

export interface LockedOrder {
  id: string;
  status: OrderStatus;
  amountTotal: number;
  currency: string;
  stripePaymentIntentId: string | null;
}

/**
 * Locks the order row for the rest of the transaction; refunds of one order serialise here.
 * Raw: Prisma Client has no row-lock (FOR UPDATE) in its typed API.
 */
export async function lockOrder(tx: Tx, where: { id: string } | { paymentIntentId: string }): Promise<LockedOrder | undefined> {
  const rows =
    "id" in where
      ? await tx.$queryRaw<LockedOrder[]>`SELECT "id", "status", "amountTotal", "currency", "stripePaymentIntentId" FROM "Order" WHERE "id" = ${where.id}::uuid FOR UPDATE`
      : await tx.$queryRaw<LockedOrder[]>`SELECT "id", "status", "amountTotal", "currency", "stripePaymentIntentId" FROM "Order" WHERE "stripePaymentIntentId" = ${where.paymentIntentId} FOR UPDATE`;
  return rows[0];
}

/** Stripe's refund statuses in ours: canceled counts as failed; anything unsettled is pending. */
export function refundStatusOf(stripeStatus: string | null | undefined): RefundStatus {
  if (stripeStatus === "succeeded") return "succeeded";
  if (stripeStatus === "failed" || stripeStatus === "canceled") return "failed";
  return "pending";
}

type RefundStatus = "pending" | "succeeded" | "failed";

/**
 * A refund's status only moves forward: pending → succeeded | failed, succeeded → failed.
 * Events and API answers arrive in any order, so an older snapshot (pending, or succeeded
 * after a failure) never takes a refund back.
 */
export function forwardRefundStatus(current: RefundStatus, next: RefundStatus): RefundStatus {
  if (current === "failed" || next === "pending") return current;
  return next;
}

/**
 * Records what Stripe says of one refund, under the order's row lock (the caller's), so
 * the read and the write below cannot interleave with another writer of this order's
 * refunds. Our pending row (named in the refund's metadata) is settled when it exists,
 * else the refund is recorded by Stripe's id, so the API call and the events count one
 * refund once. Status only moves forward (`forwardRefundStatus`): a late `charge.refunded`
 * cannot undo a failure.
 */
export async function upsertStripeRefund(
  tx: Tx,
  orderId: string,
  refund: { id: string; amount: number; status: string | null; metadata?: Record<string, string> | null },
): Promise<void> {
  const status = refundStatusOf(refund.status);
  const ownRowId = refund.metadata?.refundId;
  if (ownRowId && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ownRowId)) {
    const own = await tx.refund.findFirst({
      where: { id: ownRowId, orderId, OR: [{ stripeRefundId: null }, { stripeRefundId: refund.id }] },
      select: { status: true },
    });
    if (own) {
      await tx.refund.update({ where: { id: ownRowId }, data: { stripeRefundId: refund.id, status: forwardRefundStatus(own.status, status) } });
      return;
    }
  }
  const known = await tx.refund.findUnique({ where: { stripeRefundId: refund.id }, select: { status: true } });
  await tx.refund.upsert({
    where: { stripeRefundId: refund.id },
    create: { orderId, stripeRefundId: refund.id, amount: refund.amount, status },
    update: { status: forwardRefundStatus(known?.status ?? status, status) },
  });
}

/** refundedAmount is derived, never added to: the sum of the order's succeeded refunds. */
export async function recomputeRefunds(tx: Tx, order: LockedOrder, now: Date): Promise<{ refundedAmount: number; status: OrderStatus }> {
  const sum = await tx.refund.aggregate({ where: { orderId: order.id, status: "succeeded" }, _sum: { amount: true } });
  const refundedAmount = Math.min(sum._sum.amount ?? 0, order.amountTotal);
  const status = statusAfterRefunds(order.status, order.amountTotal, refundedAmount);
  await tx.order.update({ where: { id: order.id }, data: { refundedAmount, status, updatedAt: now } });
  return { refundedAmount, status };
}

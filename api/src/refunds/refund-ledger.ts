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

/** Locks the order row for the rest of the transaction; refunds of one order serialise here. */
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

/** The same rule in SQL, for the upserts below. */
const FORWARD_STATUS_SQL = (current: string, next: string) =>
  `CASE WHEN ${current} = 'failed' OR ${next} = 'pending' THEN ${current} ELSE ${next} END`;

/**
 * Records what Stripe says of one refund. Our pending row (named in the refund's metadata)
 * is settled when it exists, else the refund is inserted by Stripe's id, so the API call
 * and `charge.refunded` count one refund once. A failed refund never comes back to life:
 * a late `charge.refunded` cannot undo a `charge.refund.updated` failure.
 */
export async function upsertStripeRefund(
  tx: Tx,
  orderId: string,
  refund: { id: string; amount: number; status: string | null; metadata?: Record<string, string> | null },
): Promise<void> {
  const status = refundStatusOf(refund.status);
  const ownRowId = refund.metadata?.refundId;
  if (ownRowId && /^[0-9a-f-]{36}$/i.test(ownRowId)) {
    const claimed = await tx.$executeRawUnsafe(
      `UPDATE "Refund" SET "stripeRefundId" = $1,
        "status" = ${FORWARD_STATUS_SQL('"status"', '$2::"RefundStatus"')}, "updatedAt" = now()
      WHERE "id" = $3::uuid AND "orderId" = $4::uuid AND ("stripeRefundId" IS NULL OR "stripeRefundId" = $1)`,
      refund.id,
      status,
      ownRowId,
      orderId,
    );
    if (claimed > 0) return;
  }
  await tx.$executeRawUnsafe(
    `INSERT INTO "Refund" ("orderId", "stripeRefundId", "amount", "status", "updatedAt")
    VALUES ($1::uuid, $2, $3, $4::"RefundStatus", now())
    ON CONFLICT ("stripeRefundId") DO UPDATE SET
      "status" = ${FORWARD_STATUS_SQL('"Refund"."status"', 'EXCLUDED."status"')}, "updatedAt" = now()`,
    orderId,
    refund.id,
    refund.amount,
    status,
  );
}

/** refundedAmount is derived, never added to: the sum of the order's succeeded refunds. */
export async function recomputeRefunds(tx: Tx, order: LockedOrder, now: Date): Promise<{ refundedAmount: number; status: OrderStatus }> {
  const [sum] = await tx.$queryRaw<{ total: number }[]>`
    SELECT COALESCE(SUM("amount"), 0)::int AS total FROM "Refund" WHERE "orderId" = ${order.id}::uuid AND "status" = 'succeeded'`;
  const refundedAmount = Math.min(sum?.total ?? 0, order.amountTotal);
  const status = statusAfterRefunds(order.status, order.amountTotal, refundedAmount);
  await tx.order.update({ where: { id: order.id }, data: { refundedAmount, status, updatedAt: now } });
  return { refundedAmount, status };
}

/** Inserts the ledger row inside the transaction; false when the event was already recorded. */
export async function insertLedgerRow(
  tx: Tx,
  entry: { id: string; type: string; payloadJson: string },
  orderId: string | null,
  outcome: "processed" | "ignored" | "rejected",
): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO "PaymentEvent" ("stripeEventId", "type", "orderId", "outcome", "payload")
    VALUES (${entry.id}, ${entry.type}, ${orderId}::uuid, ${outcome}::"PaymentEventOutcome", ${entry.payloadJson}::jsonb)
    ON CONFLICT ("stripeEventId") DO NOTHING`;
  return inserted > 0;
}

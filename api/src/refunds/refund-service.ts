import type { AppContext } from "../context.js";
import { AppError, notFound } from "../errors.js";
import type { Logger } from "../logger.js";
import { callStripe } from "../stripe/stripe-client.js";
import { forwardRefundStatus, lockOrder, recomputeRefunds, refundStatusOf } from "./refund-ledger.js";

export interface RefundView {
  id: string;
  amount: number;
  status: "pending" | "succeeded" | "failed";
}

const REFUNDABLE = new Set(["paid", "partially_refunded"]);

/**
 * Refunds part or all of a paid order. A `pending` Refund row reserves its amount under
 * the order's row lock BEFORE Stripe is called, so parallel refunds can never together
 * exceed the total; the Stripe call runs outside any transaction, keyed by the row's id.
 */
export async function createRefund(ctx: AppContext, input: { orderId: string; amount?: number }, log: Logger): Promise<RefundView> {
  const reservation = await ctx.prisma.$transaction(async (tx) => {
    const order = await lockOrder(tx, { id: input.orderId });
    if (!order) throw notFound("No such order.");
    if (!REFUNDABLE.has(order.status) || !order.stripePaymentIntentId) {
      throw new AppError("ORDER_NOT_REFUNDABLE", `An order in status ${order.status} cannot be refunded.`);
    }
    const reserved = await tx.refund.aggregate({
      where: { orderId: order.id, status: { in: ["pending", "succeeded"] } },
      _sum: { amount: true },
    });
    const rest = order.amountTotal - (reserved._sum.amount ?? 0);
    const amount = input.amount ?? rest;
    if (amount <= 0 || amount > rest) {
      throw new AppError("REFUND_EXCEEDS_BALANCE", `At most ${Math.max(rest, 0)} ${order.currency} can still be refunded.`);
    }
    const row = await tx.refund.create({ data: { orderId: order.id, amount, status: "pending" } });
    return { row, paymentIntent: order.stripePaymentIntentId };
  });

  return submitRefund(ctx, { id: reservation.row.id, orderId: input.orderId, amount: reservation.row.amount, paymentIntent: reservation.paymentIntent }, log);
}

/**
 * Sends a reserved refund to Stripe, keyed by the row's id, and records the answer. Also
 * used by `npm run maintenance` to resolve reservations whose first call got no answer:
 * the same key and parameters make Stripe return the refund it made, or make it now.
 */
export async function submitRefund(
  ctx: AppContext,
  reservation: { id: string; orderId: string; amount: number; paymentIntent: string },
  log: Logger,
): Promise<RefundView> {
  let stripeRefund;
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
      await ctx.prisma.refund.update({ where: { id: reservation.id }, data: { status: "failed" } });
      ctx.metrics.refund("failed");
    }
    // Unavailable: the outcome is unknown, so the reservation stays pending; `charge.refunded`
    // settles it if Stripe did refund, and `npm run maintenance` retries it with the same key.
    throw err;
  }

  const status = refundStatusOf(stripeRefund.status);
  await ctx.prisma.$transaction(async (tx) => {
    const order = await lockOrder(tx, { id: reservation.orderId });
    // The webhook may have recorded this refund first (under Stripe's id); keep one row.
    const existing = await tx.refund.findUnique({ where: { stripeRefundId: stripeRefund.id } });
    if (existing && existing.id !== reservation.id) {
      await tx.refund.delete({ where: { id: reservation.id } });
    } else {
      // The webhook may also have settled our own row already: never take it back.
      const own = existing ?? (await tx.refund.findUniqueOrThrow({ where: { id: reservation.id } }));
      await tx.refund.update({
        where: { id: reservation.id },
        data: { stripeRefundId: stripeRefund.id, status: forwardRefundStatus(own.status, status) },
      });
    }
    if (order) await recomputeRefunds(tx, order, ctx.clock.now());
  });
  ctx.metrics.refund(status);
  log.info({ orderId: reservation.orderId, refundId: stripeRefund.id, amount: reservation.amount, status }, "refund created");
  return { id: stripeRefund.id, amount: reservation.amount, status };
}

import type { AppContext } from "../context.js";
import { notFound } from "../platform/errors.js";
import { presentOrder } from "../orders/order-view.js";

/**
 * What an operator needs to answer a customer about one order: the order, every refund
 * (who asked for it, and its state) and the ledger of Stripe events applied to it, oldest
 * first. Payloads stay out: they may hold personal data and are scrubbed over time.
 */
export async function getOrderForOperator(ctx: AppContext, orderId: string) {
  const order = await ctx.prisma.order.findUnique({
    where: { id: orderId },
    include: {
      items: { orderBy: { id: "asc" } },
      refunds: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      events: { orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { stripeEventId: true, type: true, outcome: true, createdAt: true } },
    },
  });
  if (!order) throw notFound("No such order.");
  return {
    order: presentOrder(order),
    refunds: order.refunds.map((refund) => ({
      id: refund.id,
      amount: refund.amount,
      status: refund.status,
      createdAt: refund.createdAt.toISOString(),
      createdBy: refund.createdBy,
    })),
    events: order.events.map((event) => ({
      stripeEventId: event.stripeEventId,
      type: event.type,
      outcome: event.outcome,
      receivedAt: event.createdAt.toISOString(),
    })),
  };
}

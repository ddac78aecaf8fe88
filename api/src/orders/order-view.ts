import type { Order, OrderItem } from "../generated/prisma/client.js";

export type OrderWithItems = Order & { items: OrderItem[] };

/** The order shape the API documents; internal columns (Stripe ids, stored params) stay inside. */
export function presentOrder(order: OrderWithItems) {
  return {
    id: order.id,
    status: order.status,
    amountTotal: order.amountTotal,
    currency: order.currency,
    items: order.items.map((item) => ({
      productId: item.productId,
      name: item.name,
      quantity: item.quantity,
      unitAmount: item.unitAmount,
    })),
    createdAt: order.createdAt.toISOString(),
    paidAt: order.paidAt ? order.paidAt.toISOString() : null,
    refundedAmount: order.refundedAmount,
  };
}

export type OrderView = ReturnType<typeof presentOrder>;

import type { OrderStatus } from "../generated/prisma/enums.js";

export type { OrderStatus };

/**
 * The order state machine. Status only moves forward; every transition names
 * the states it may come from, and the database update is conditional on them, so a
 * late or repeated event can never move an order backwards.
 */
export const allowedFrom: Record<"processing" | "paid" | "failed" | "expired", readonly OrderStatus[]> = {
  processing: ["pending"],
  paid: ["pending", "processing"],
  failed: ["pending", "processing"],
  expired: ["pending"],
};

export type SessionTarget = keyof typeof allowedFrom;

/** The parts of a Checkout Session that decide what it means for its order. */
export interface SessionState {
  id: string;
  status: string | null;
  payment_status: string;
  amount_total: number | null;
  currency: string | null;
  client_reference_id: string | null;
  metadata?: Record<string, string> | null;
  payment_intent?: string | { id: string } | null;
}

/**
 * What a session's state means for its order. Events arrive in any order, so this reads
 * the state of the session, not the event type alone; only a failure needs the type,
 * because a failed delayed payment leaves the session `complete` and `unpaid`.
 */
export function targetForSession(session: SessionState, eventType?: string): SessionTarget | undefined {
  if (eventType === "checkout.session.async_payment_failed") return "failed";
  if (session.status === "expired") return "expired";
  if (session.status !== "complete") return undefined;
  if (session.payment_status === "paid" || session.payment_status === "no_payment_required") return "paid";
  return "processing";
}

/** The order id a session belongs to: client_reference_id, else metadata.orderId. */
export function orderIdOfSession(session: SessionState): string | undefined {
  const candidate = session.client_reference_id ?? session.metadata?.orderId ?? undefined;
  return candidate && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(candidate) ? candidate : undefined;
}

export function paymentIntentId(value: SessionState["payment_intent"]): string | null {
  if (!value) return null;
  return typeof value === "string" ? value : value.id;
}

/** Order status derived from its refunds: the sum of succeeded refunds against the total. */
export function statusAfterRefunds(current: OrderStatus, amountTotal: number, refundedAmount: number): OrderStatus {
  if (!["paid", "partially_refunded", "refunded"].includes(current)) return current;
  if (refundedAmount <= 0) return "paid";
  return refundedAmount >= amountTotal ? "refunded" : "partially_refunded";
}

/** The order row as the session decision reads it (locked by the caller). */
export interface OrderSnapshot {
  id: string;
  status: OrderStatus;
  amountTotal: number;
  currency: string;
  stripeCheckoutSessionId: string | null;
  stripePaymentIntentId: string | null;
}

/**
 * What a session means for its order:
 * - `move`: the order goes to `to` (from a state `allowedFrom` lists);
 * - `ignored`: nothing to do (an open session, a late or repeated event, an unknown order
 *   for a session that took no money);
 * - `rejected`: the session took money that does not belong to the order as it stands
 *   (amount, currency or session differ, the order expired, or no order of ours); the
 *   order's status is left alone, but its payment intent is stored when it has none
 *   (`paymentIntent`), so a later refund of that payment is matched to it.
 */
export type SessionDecision =
  | { outcome: "processed"; to: SessionTarget }
  | { outcome: "ignored" }
  | { outcome: "rejected"; reason: "mismatch" | "expired_order" | "no_order"; paymentIntent: string | null };

/** The order state machine's one decision for a Checkout Session; pure, so it is unit-tested alone. */
export function decideSessionState(order: OrderSnapshot | undefined, session: SessionState, eventType?: string): SessionDecision {
  const to = targetForSession(session, eventType);
  if (!to) return { outcome: "ignored" };
  const moneyMoved = movesMoney(to);
  if (!order) return moneyMoved ? { outcome: "rejected", reason: "no_order", paymentIntent: null } : { outcome: "ignored" };
  if (moneyMoved) {
    const keep = order.stripePaymentIntentId === null ? paymentIntentId(session.payment_intent) : null;
    const matches =
      session.amount_total !== null &&
      session.amount_total === order.amountTotal &&
      session.currency === order.currency &&
      (order.stripeCheckoutSessionId === null || order.stripeCheckoutSessionId === session.id);
    if (!matches) return { outcome: "rejected", reason: "mismatch", paymentIntent: keep };
    if (order.status === "expired") return { outcome: "rejected", reason: "expired_order", paymentIntent: keep };
  }
  return allowedFrom[to].includes(order.status) ? { outcome: "processed", to } : { outcome: "ignored" };
}

/** Paid or processing: the customer's money moved, so the session must match its order exactly. */
export function movesMoney(target: SessionTarget): boolean {
  return target === "paid" || target === "processing";
}

import type { AppContext } from "../context.js";
import type { Prisma } from "../generated/prisma/client.js";
import { isUniqueViolation } from "../platform/db/errors.js";
import {
  allowedFrom,
  decideSessionState,
  movesMoney,
  orderIdOfSession,
  paymentIntentId,
  type OrderSnapshot,
  type OrderStatus,
  type SessionState,
} from "./order-state.js";

export type EventOutcome = "processed" | "duplicate" | "ignored" | "rejected";

export interface LedgerEntry {
  /** Stripe's event id; the ledger's unique key. */
  id: string;
  type: string;
  /** The event exactly as received, stored as the ledger's payload. */
  payloadJson: string;
}

export interface FulfilmentResult {
  outcome: EventOutcome;
  orderId: string | null;
  previous: OrderStatus | null;
  next: OrderStatus | null;
}

type Tx = Prisma.TransactionClient;

/**
 * Applies a Checkout Session's state to its order: the ONE fulfilment path shared by the
 * webhook, the success-page sync, reconciliation and maintenance, so they can never
 * disagree and may run at the same moment. One transaction:
 * 1. the order row is locked (FOR UPDATE): events for one order serialise, and each reads
 *    the row as the previous one left it. Nothing references the order before this lock:
 *    a ledger row's foreign key takes a KEY SHARE lock on its order, and two events for one
 *    order that both held it before asking FOR UPDATE (which an update of the order's
 *    unique columns needs) would deadlock;
 * 2. `decideSessionState` (order-state.ts) decides the outcome from the locked row;
 * 3. the ledger row is inserted with its order and outcome; Stripe's event id is unique, so
 *    a redelivery (a concurrent one waits on the order's lock, then on the unique index)
 *    fails the insert and the whole transaction rolls back: it writes nothing, and the
 *    first row keeps its outcome;
 * 4. the order moves by an update whose `where` holds the states it may come from and,
 *    when money moved, the amount, currency and session, so it can never go backwards.
 * A rejected session leaves the order's status alone (callers log it at error level).
 */
export async function applySessionState(ctx: AppContext, session: SessionState, event?: LedgerEntry): Promise<FulfilmentResult> {
  const now = ctx.clock.now();
  return ledgerTransaction(ctx, async (tx): Promise<FulfilmentResult> => {
    const order = await lockSessionOrder(tx, session);
    const decision = decideSessionState(order, session, event?.type);
    const orderId = order?.id ?? null;
    const previous = order?.status ?? null;
    if (event) await insertLedgerRow(tx, event, orderId, decision.outcome, { outcome: "duplicate", orderId, previous: null, next: null });
    if (decision.outcome === "rejected") {
      if (order && decision.paymentIntent) await keepPaymentIntent(tx, order.id, decision.paymentIntent);
      return { outcome: "rejected", orderId, previous, next: null };
    }
    if (decision.outcome === "ignored" || !order) return { outcome: "ignored", orderId, previous, next: null };

    const to = decision.to;
    const moved = await tx.order.updateMany({
      where: {
        id: order.id,
        status: { in: [...allowedFrom[to]] },
        ...(movesMoney(to)
          ? {
              amountTotal: session.amount_total ?? -1,
              currency: session.currency ?? "",
              OR: [{ stripeCheckoutSessionId: null }, { stripeCheckoutSessionId: session.id }],
            }
          : {}),
      },
      data: {
        status: to,
        ...(to === "paid" ? { paidAt: now } : {}),
        stripeCheckoutSessionId: order.stripeCheckoutSessionId ?? session.id,
        stripePaymentIntentId: order.stripePaymentIntentId ?? paymentIntentId(session.payment_intent),
        updatedAt: now,
      },
    });
    // The row is locked and was just decided on, so this cannot miss; if it ever does,
    // failing rolls the ledger row back and Stripe redelivers.
    if (moved.count !== 1) throw new Error(`order ${order.id} did not move to ${to} as decided`);
    return { outcome: "processed", orderId, previous, next: to };
  });
}

/** The session's order (by its reference, else by the session id), locked for the transaction. */
async function lockSessionOrder(tx: Tx, session: SessionState): Promise<OrderSnapshot | undefined> {
  const orderId = orderIdOfSession(session);
  // Raw: Prisma Client has no row-lock (FOR UPDATE) in its typed API.
  const rows = orderId
    ? await tx.$queryRaw<OrderSnapshot[]>`SELECT "id", "status", "amountTotal", "currency", "stripeCheckoutSessionId", "stripePaymentIntentId" FROM "Order" WHERE "id" = ${orderId}::uuid FOR UPDATE`
    : await tx.$queryRaw<OrderSnapshot[]>`SELECT "id", "status", "amountTotal", "currency", "stripeCheckoutSessionId", "stripePaymentIntentId" FROM "Order" WHERE "stripeCheckoutSessionId" = ${session.id} FOR UPDATE`;
  return rows[0];
}

/**
 * A rejected order keeps the payment intent that paid for it (only where it has none), so
 * a refund of that payment is matched to it later. Skipped when another order holds it.
 */
async function keepPaymentIntent(tx: Tx, orderId: string, paymentIntent: string): Promise<void> {
  const holder = await tx.order.findUnique({ where: { stripePaymentIntentId: paymentIntent }, select: { id: true } });
  if (holder) return;
  await tx.order.updateMany({ where: { id: orderId, stripePaymentIntentId: null }, data: { stripePaymentIntentId: paymentIntent } });
}

/** Thrown by `insertLedgerRow` when Stripe's event id is already in the ledger. */
class DuplicateEvent extends Error {
  constructor(readonly result: FulfilmentResult) {
    super("this Stripe event is already recorded");
  }
}

/**
 * Inserts the ledger row. Stripe's event id is unique: a redelivery (a concurrent one waits
 * on the unique index) fails the insert, and this throws DuplicateEvent carrying `duplicate`,
 * the result to answer with, so that `ledgerTransaction` rolls the transaction back. A plain
 * `create`, not `createMany({ skipDuplicates })`: Prisma caches its query plan.
 */
export async function insertLedgerRow(
  tx: Tx,
  entry: LedgerEntry,
  orderId: string | null,
  outcome: "processed" | "ignored" | "rejected",
  duplicate: FulfilmentResult,
): Promise<void> {
  try {
    await tx.paymentEvent.create({
      data: { stripeEventId: entry.id, type: entry.type, orderId, outcome, payload: JSON.parse(entry.payloadJson) as Prisma.InputJsonValue },
      select: { id: true },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new DuplicateEvent(duplicate);
    throw err;
  }
}

/**
 * One transaction that records a Stripe event with `insertLedgerRow`: an event already
 * recorded rolls it all back and yields the duplicate's result; otherwise the order's move
 * is counted.
 */
export async function ledgerTransaction(ctx: AppContext, work: (tx: Tx) => Promise<FulfilmentResult>): Promise<FulfilmentResult> {
  try {
    return countTransition(ctx, await ctx.prisma.$transaction(work));
  } catch (err) {
    if (err instanceof DuplicateEvent) return err.result;
    throw err;
  }
}

/** Counts an order's move (every path that moves one reports here). */
function countTransition(ctx: AppContext, result: FulfilmentResult): FulfilmentResult {
  if (result.previous && result.next && result.previous !== result.next) ctx.metrics.orderTransition(result.previous, result.next);
  return result;
}

/** Records an event that changes no order (unhandled types, disputes); a redelivery is a duplicate. */
export async function recordEvent(
  ctx: AppContext,
  event: LedgerEntry,
  outcome: "processed" | "ignored",
  orderId: string | null = null,
): Promise<"duplicate" | "processed" | "ignored"> {
  try {
    await insertLedgerRow(ctx.prisma, event, orderId, outcome, { outcome: "duplicate", orderId, previous: null, next: null });
    return outcome;
  } catch (err) {
    if (err instanceof DuplicateEvent) return "duplicate";
    throw err;
  }
}

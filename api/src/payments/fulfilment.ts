import type { AppContext } from "../context.js";
import { allowedFrom, orderIdOfSession, paymentIntentId, targetForSession, type OrderStatus, type SessionState } from "./order-state.js";

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

/**
 * Applies a Checkout Session's state to its order: the ONE fulfilment path shared by the
 * webhook, the success-page sync and reconciliation, so they can never disagree and may
 * run at the same moment.
 *
 * It is one call of the database function `apply_session_state`, one statement, so it is
 * atomic without an explicit transaction and costs one round trip (the webhook's hot
 * path). A PL/pgSQL function keeps the plans of its steps for the session, whereas a
 * statement sent unnamed (the only kind PgBouncer's transaction pooling allows) is
 * parsed and planned on every event (bench/README.md, findings 8, 12 and 17; the function
 * is defined in prisma/migrations/20261130000000_apply_session_state_ledger_first). What it does:
 * - the ledger row is inserted first, with `ON CONFLICT DO NOTHING` on the unique Stripe
 *   event id: a redelivery, concurrent or later, inserts nothing and so changes nothing,
 *   and locks no order;
 * - the order moves by an UPDATE conditional on the states `allowedFrom` lists (so it never
 *   goes back) and, when money moved, on its amount, currency and session; the UPDATE locks
 *   the row, so concurrent deliveries of events for one order serialise, and a waiter
 *   re-checks the conditions on the row as the winner left it;
 * - any other case is decided on the order row locked `FOR NO KEY UPDATE` (not `FOR
 *   UPDATE`, which waits for the KEY SHARE lock the ledger row's foreign key takes: two
 *   events for one order would deadlock), and the ledger row's outcome set in the same call;
 * - the order moves only when the ledger row was written (or there is no event, for the
 *   success-page sync).
 * A session whose amount, currency or session id contradicts the order, that was paid
 * after its order expired, or that took money for no order of ours, is recorded as
 * `rejected` and the order is left alone; callers log it at error level.
 */
export async function applySessionState(
  ctx: AppContext,
  session: SessionState,
  event?: LedgerEntry,
): Promise<FulfilmentResult> {
  const target = targetForSession(session, event?.type);
  const orderId = orderIdOfSession(session) ?? null;
  const checksAmount = target === "paid" || target === "processing";
  // apply_session_state's parameters, in this order. The last one says whether money moved
  // (paid/processing): then the session must match an order exactly.
  const params = [
    event?.id ?? null,
    event?.type ?? null,
    event?.payloadJson ?? null,
    orderId,
    target ?? null,
    target ? allowedFrom[target] : [],
    session.amount_total,
    session.currency,
    session.id,
    paymentIntentId(session.payment_intent),
    ctx.clock.now(),
    checksAmount,
  ];
  const { rows } = await ctx.db.pool.query<{ previous: OrderStatus | null; order_id: string | null; outcome: string; recorded: number; next: OrderStatus | null }>(
    // No casts: the parameters take the function's types (casts cost ~8 µs of parsing per call).
    "SELECT * FROM apply_session_state($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    params,
  );
  const row = rows[0]!;
  const outcome: EventOutcome = event && row.recorded === 0 ? "duplicate" : (row.outcome as EventOutcome);
  return countTransition(ctx, { outcome, orderId: row.order_id, previous: row.previous, next: row.next });
}

/** Counts an order's move (every path that moves one reports here). */
export function countTransition(ctx: AppContext, result: FulfilmentResult): FulfilmentResult {
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
  const result = await ctx.db.pool.query(
    `INSERT INTO "PaymentEvent" ("stripeEventId", "type", "orderId", "outcome", "payload")
     VALUES ($1, $2, $3::uuid, $4::"PaymentEventOutcome", $5::jsonb)
     ON CONFLICT ("stripeEventId") DO NOTHING`,
    [event.id, event.type, orderId, outcome, event.payloadJson],
  );
  return result.rowCount === 0 ? "duplicate" : outcome;
}


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
 * It is one SQL statement, so it is atomic without an explicit transaction and costs one
 * round trip (the webhook's hot path):
 * - the order row is locked (`FOR UPDATE`), so concurrent deliveries of events for one
 *   order serialise, and a waiter re-reads the row as the winner left it;
 * - the ledger row is inserted with `ON CONFLICT DO NOTHING` on the unique Stripe event
 *   id: a redelivery, concurrent or later, inserts nothing and so changes nothing;
 * - the order moves only when the ledger row was written (or there is no event, for the
 *   success-page sync) and only from the states `allowedFrom` lists, so it never goes back.
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
    APPLY_SESSION_SQL,
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

// $1 event id | $2 type | $3 payload | $4 order id | $5 target | $6 allowed-from states
// $7 session amount | $8 currency | $9 session id | $10 payment intent | $11 now
// $12 whether money moved (paid/processing): then the session must match an order exactly.
//
// An event already in the ledger (a redelivery) changes nothing, so it is answered without
// locking the order: a storm of redeliveries of one event would otherwise queue on one row
// lock, each lock a WAL record and a commit flush (bench/README.md). Concurrent first
// deliveries still both lock, and ON CONFLICT lets only one of them record the event.
const APPLY_SESSION_SQL = `
WITH seen AS (
  SELECT "orderId" FROM "PaymentEvent" WHERE "stripeEventId" = $1::text
), o AS (
  SELECT "id", "status", "amountTotal", "currency", "stripeCheckoutSessionId" AS sid
  FROM "Order"
  WHERE (($4::uuid IS NOT NULL AND "id" = $4::uuid) OR ($4::uuid IS NULL AND "stripeCheckoutSessionId" = $9::text))
    AND NOT EXISTS (SELECT 1 FROM seen)
  FOR UPDATE
), d AS (
  SELECT o."id", o."status" AS previous,
    CASE
      WHEN $5::text IS NULL THEN 'ignored'
      -- money taken for no order of ours: an operator must look
      WHEN o."id" IS NULL THEN CASE WHEN $12::boolean THEN 'rejected' ELSE 'ignored' END
      WHEN $12::boolean AND ($7::int IS NULL OR o."amountTotal" <> $7::int OR o."currency" IS DISTINCT FROM $8::text
        OR (o.sid IS NOT NULL AND o.sid <> $9::text)) THEN 'rejected'
      WHEN $12::boolean AND o."status" = 'expired' THEN 'rejected'
      WHEN o."status" = ANY($6::"OrderStatus"[]) THEN 'processed'
      ELSE 'ignored'
    END AS outcome
  FROM (SELECT 1) AS one LEFT JOIN o ON true
), ins AS (
  INSERT INTO "PaymentEvent" ("stripeEventId", "type", "orderId", "outcome", "payload")
  SELECT $1::text, $2::text, d."id", d.outcome::"PaymentEventOutcome", $3::jsonb FROM d
  WHERE $1::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM seen)
  ON CONFLICT ("stripeEventId") DO NOTHING
  RETURNING 1
), upd AS (
  UPDATE "Order" AS t SET
    "status" = $5::"OrderStatus",
    "paidAt" = CASE WHEN $5::text = 'paid' THEN $11::timestamptz ELSE t."paidAt" END,
    "stripeCheckoutSessionId" = COALESCE(t."stripeCheckoutSessionId", $9::text),
    "stripePaymentIntentId" = COALESCE(t."stripePaymentIntentId", $10::text),
    "updatedAt" = $11::timestamptz
  FROM d
  WHERE t."id" = d."id" AND d.outcome = 'processed' AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM ins))
  RETURNING t."status"
)
SELECT d.previous, COALESCE(d."id", (SELECT "orderId" FROM seen)) AS order_id, d.outcome,
  (SELECT count(*) FROM ins)::int AS recorded, (SELECT "status" FROM upd) AS next
FROM d`;

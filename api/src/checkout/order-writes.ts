import type { AppContext } from "../context.js";
import type { KeyRow } from "./idempotency.js";
import type { PricedCart } from "./pricing.js";

/**
 * The checkout's writes, each ONE SQL statement through `pg`: atomic without an explicit
 * transaction, one round trip each. As Prisma calls (an interactive transaction of seven
 * round trips, then two updates) they cost checkout creation more than half its CPU
 * (bench/README.md). Timestamps the database would default (`createdAt`, `updatedAt`) are
 * the database's, as they were with Prisma.
 */

/**
 * The pending order with the session parameters built once for it (DECISIONS 2), its lines
 * with prices copied, and the idempotency key's link to it. With a key, nothing is written
 * unless this request still holds the claim (token, in progress, no order yet): false then.
 */
export async function insertPendingOrder(
  ctx: AppContext,
  order: { id: string; userId: string; cart: PricedCart; expiresAt: Date; checkoutParams: object; key?: KeyRow },
): Promise<boolean> {
  const lines = order.cart.lines.map(({ productId, name, quantity, unitAmount }) => ({ productId, name, quantity, unitAmount }));
  const { rows } = await ctx.db.pool.query<{ created: number }>(INSERT_PENDING_ORDER_SQL, [
    order.id,
    order.userId,
    order.cart.amountTotal,
    order.cart.currency,
    order.expiresAt,
    JSON.stringify(order.checkoutParams),
    JSON.stringify(lines),
    order.key?.id ?? null,
    order.key?.claimToken ?? null,
  ]);
  return rows[0]!.created === 1;
}

/**
 * Stores the order's Checkout Session (never replacing another one) and, with a key, the
 * answer to replay, releasing the claim. False when the claim was taken over meanwhile.
 */
export async function recordSession(
  ctx: AppContext,
  input: { orderId: string; sessionId: string; url: string | null; expiresAt: Date; key?: KeyRow; status: number; body: object },
): Promise<boolean> {
  const { rows } = await ctx.db.pool.query<{ completed: number }>(RECORD_SESSION_SQL, [
    input.orderId,
    input.sessionId,
    input.url,
    input.expiresAt,
    input.key?.id ?? null,
    input.key?.claimToken ?? null,
    input.status,
    JSON.stringify(input.body),
  ]);
  return input.key === undefined || rows[0]!.completed === 1;
}

// $1 order id | $2 user | $3 amount | $4 currency | $5 expires at | $6 session params
// $7 lines [{productId, name, quantity, unitAmount}] | $8 key id (null: no key) | $9 claim token
const INSERT_PENDING_ORDER_SQL = `
WITH k AS (
  UPDATE "IdempotencyKey" SET "orderId" = $1::uuid
  WHERE "id" = $8::uuid AND "claimToken" = $9::uuid AND "state" = 'in_progress' AND "orderId" IS NULL
  RETURNING 1
), o AS (
  INSERT INTO "Order" ("id", "userId", "status", "amountTotal", "currency", "checkoutExpiresAt", "checkoutParams", "updatedAt")
  SELECT $1::uuid, $2::uuid, 'pending', $3::int, $4::text, $5::timestamptz, $6::jsonb, now()
  WHERE $8::uuid IS NULL OR EXISTS (SELECT 1 FROM k)
  RETURNING "id"
), items AS (
  INSERT INTO "OrderItem" ("orderId", "productId", "name", "quantity", "unitAmount")
  SELECT o."id", l."productId", l."name", l."quantity", l."unitAmount"
  FROM o CROSS JOIN jsonb_to_recordset($7::jsonb) AS l("productId" uuid, "name" text, "quantity" int, "unitAmount" int)
)
SELECT count(*)::int AS created FROM o`;

// $1 order id | $2 session id | $3 url | $4 expires at | $5 key id (null: no key) | $6 claim token
// $7 status to replay | $8 body to replay
const RECORD_SESSION_SQL = `
WITH o AS (
  UPDATE "Order" SET "stripeCheckoutSessionId" = $2::text, "checkoutUrl" = $3::text, "checkoutExpiresAt" = $4::timestamptz, "updatedAt" = now()
  WHERE "id" = $1::uuid AND ("stripeCheckoutSessionId" IS NULL OR "stripeCheckoutSessionId" = $2::text)
), k AS (
  UPDATE "IdempotencyKey" SET "state" = 'completed', "responseStatus" = $7::int, "responseBody" = $8::jsonb, "lockedUntil" = NULL
  WHERE "id" = $5::uuid AND "claimToken" = $6::uuid AND "state" = 'in_progress'
  RETURNING 1
)
SELECT count(*)::int AS completed FROM k`;

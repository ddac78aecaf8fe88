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
 * The pending order with the session parameters built once for it, its lines
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

// The statements live in database functions (prisma/migrations/20261129230000_checkout_write_functions):
// their plans are kept per connection instead of being made again for every checkout.
const INSERT_PENDING_ORDER_SQL = `SELECT insert_pending_order($1::uuid, $2::uuid, $3::int, $4::text, $5::timestamptz, $6::jsonb,
  $7::jsonb, $8::uuid, $9::uuid) AS created`;

const RECORD_SESSION_SQL = `SELECT record_session($1::uuid, $2::text, $3::text, $4::timestamptz, $5::uuid, $6::uuid, $7::int, $8::jsonb) AS completed`;

import type pg from "pg";
import { ORDER_AMOUNT, ORDER_CURRENCY, orderIdSql } from "./events.js";

/**
 * Test data written straight into the bench database with SQL: fast, and nothing here is
 * what is being measured. Users who must log in are registered through the API instead.
 */

/** A user who owns the orders the webhook scenarios pay (never logs in). */
export async function seedIngestUser(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO "User" ("email", "passwordHash", "updatedAt") VALUES ('ingest@bench.test', 'not-a-hash', now()) RETURNING "id"`,
  );
  return rows[0]!.id;
}

export async function seedProduct(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO "Product" ("sku", "name", "description", "unitAmount", "currency", "updatedAt")
     VALUES ('bench-widget', 'Bench widget', 'A widget for the bench', 1999, 'eur', now()) RETURNING "id"`,
  );
  return rows[0]!.id;
}

/** `count` pending orders of `series`, positions 0…count-1 (ids from `orderIdFor`). */
export async function seedPendingOrders(pool: pg.Pool, userId: string, series: number, count: number): Promise<void> {
  await pool.query(
    `INSERT INTO "Order" ("id", "userId", "status", "amountTotal", "currency", "updatedAt")
     SELECT ${orderIdSql(series, "g")}, $1::uuid, 'pending', ${ORDER_AMOUNT}, '${ORDER_CURRENCY}', now()
     FROM generate_series(0, $2::int - 1) AS g`,
    [userId, count],
  );
}

/** `count` paid orders of one line each for `userId`, one second apart, for GET /orders. */
export async function seedListedOrders(pool: pg.Pool, userId: string, productId: string, series: number, count: number): Promise<void> {
  await pool.query(
    `WITH o AS (
       INSERT INTO "Order" ("id", "userId", "status", "amountTotal", "currency", "paidAt", "createdAt", "updatedAt")
       SELECT ${orderIdSql(series, "g")}, $1::uuid, 'paid', 1999, 'eur', now(), now() - g * interval '1 second', now()
       FROM generate_series(0, $3::int - 1) AS g
       RETURNING "id"
     )
     INSERT INTO "OrderItem" ("orderId", "productId", "name", "quantity", "unitAmount")
     SELECT o."id", $2::uuid, 'Bench widget', 1, 1999 FROM o`,
    [userId, productId, count],
  );
}

export const GROWTH_EVENTS = 1_000_000;
export const GROWTH_ORDERS = 100_000;
const GROWTH_USERS = 1_000;

/**
 * The growth scenario's data, in ONE statement: 1,000 users, 100,000 paid orders over the
 * last 90 days (every tenth belongs to `listUserId`, so its order list gets deeper too),
 * and 1,000,000 ledger rows spread over those orders.
 */
export async function seedGrowth(pool: pg.Pool, listUserId: string, series: number, sizes = { events: GROWTH_EVENTS, orders: GROWTH_ORDERS }): Promise<number> {
  const started = Date.now();
  const userId = (g: string) => `('c0000000-0000-4000-8000-' || lpad(to_hex(${g}), 12, '0'))::uuid`;
  await pool.query(
    `WITH u AS (
       INSERT INTO "User" ("id", "email", "passwordHash", "updatedAt")
       SELECT ${userId("g")}, 'growth-' || g || '@bench.test', 'not-a-hash', now()
       FROM generate_series(0, ${GROWTH_USERS - 1}) AS g
       RETURNING 1
     ), o AS (
       INSERT INTO "Order" ("id", "userId", "status", "amountTotal", "currency", "stripeCheckoutSessionId", "stripePaymentIntentId", "paidAt", "createdAt", "updatedAt")
       SELECT ${orderIdSql(series, "g")},
         CASE WHEN g % 10 = 0 THEN $1::uuid ELSE ${userId(`g % ${GROWTH_USERS}`)} END,
         'paid', ${ORDER_AMOUNT}, '${ORDER_CURRENCY}', 'cs_growth_' || g, 'pi_growth_' || g, t, t, t
       FROM generate_series(0, ${sizes.orders - 1}) AS g,
         LATERAL (SELECT now() - interval '90 days' + g * interval '77 seconds' AS t) AS at
       RETURNING 1
     )
     INSERT INTO "PaymentEvent" ("stripeEventId", "type", "orderId", "outcome", "payload", "createdAt")
     SELECT 'evt_growth_' || g, 'checkout.session.completed', ${orderIdSql(series, `g % ${sizes.orders}`)}, 'processed',
       jsonb_build_object('id', 'evt_growth_' || g, 'object', 'event', 'type', 'checkout.session.completed', 'data', jsonb_build_object('object', jsonb_build_object('id', 'cs_growth_' || (g % ${sizes.orders}), 'object', 'checkout.session'))),
       now() - interval '90 days' + g * interval '7 seconds'
     FROM generate_series(0, ${sizes.events - 1}) AS g`,
    [listUserId],
  );
  await pool.query(`ANALYZE "User", "Order", "OrderItem", "PaymentEvent"`);
  return (Date.now() - started) / 1000;
}

export async function rowCount(pool: pg.Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
  return Number(rows[0]!.n);
}

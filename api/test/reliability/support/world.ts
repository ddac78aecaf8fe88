import { randomBytes, randomUUID } from "node:crypto";
import type Stripe from "stripe";
import { inject } from "vitest";
import { buildContext, type AppContext } from "../../../src/context.js";
import { STAND_IN_API_VERSION } from "../../../../dev/stripe-stand-in/index.js";
import { signEvent } from "../../../../dev/stripe-stand-in/webhooks.js";
import { createLogger } from "../../../src/platform/logger.js";
import { testConfig } from "../../helpers/app.js";
import { TEST_SECRETS } from "../../helpers/constants.js";
import { createTestDatabase } from "../../helpers/database.js";
import { LogCapture } from "../../helpers/logs.js";
import { call, type Call, type Reply } from "./http.js";

/**
 * The test's side of a reliability scenario: a database of its own (cloned from the suite's
 * migrated template, or a given URL such as a private PostgreSQL), and an app context in the
 * test process over it, for fixtures and for asserting rows. The app under test runs in
 * other processes; both sides share the suite's secrets and the system clock.
 */
export interface World {
  databaseUrl: string;
  ctx: AppContext;
  close(): Promise<void>;
}

export async function openWorld(name: string, options: { databaseUrl?: string } = {}): Promise<World> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => undefined }
    : await createTestDatabase(inject("adminDatabaseUrl"), inject("templateDatabase"));
  const config = testConfig({ DATABASE_URL: database.url, DATABASE_POOL_MAX: "4" });
  const ctx = buildContext(config, { logger: createLogger({ level: "debug" }, new LogCapture(inject("logDir"), `reliability-${name}-world`)) });
  return {
    databaseUrl: database.url,
    ctx,
    async close() {
      await ctx.close();
      await database.drop();
    },
  };
}

/**
 * Records every change of an order's status in a table of the test's database, so a test
 * can count transitions per order: "applied once" is a database fact, not a status code.
 */
export async function installTransitionAudit(ctx: AppContext): Promise<void> {
  await ctx.db.pool.query(`
    CREATE TABLE IF NOT EXISTS test_order_transition (
      id bigserial PRIMARY KEY, order_id uuid NOT NULL, from_status text NOT NULL, to_status text NOT NULL);
    CREATE OR REPLACE FUNCTION test_record_transition() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO test_order_transition (order_id, from_status, to_status) VALUES (NEW.id, OLD.status, NEW.status);
      RETURN NEW;
    END $$;
    DROP TRIGGER IF EXISTS test_order_transition ON "Order";
    CREATE TRIGGER test_order_transition AFTER UPDATE ON "Order"
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION test_record_transition();`);
}

export interface Transition {
  order_id: string;
  from_status: string;
  to_status: string;
}

export async function transitions(ctx: AppContext, orderIds?: string[]): Promise<Transition[]> {
  const { rows } = await ctx.db.pool.query<Transition>(
    `SELECT order_id::text, from_status, to_status FROM test_order_transition
     WHERE $1::uuid[] IS NULL OR order_id = ANY($1::uuid[]) ORDER BY id`,
    [orderIds ?? null],
  );
  return rows;
}

/** Ledger rows per Stripe event id that occur more than once (must always be none). */
export async function duplicateLedgerRows(ctx: AppContext): Promise<{ stripeEventId: string; n: number }[]> {
  const { rows } = await ctx.db.pool.query<{ stripeEventId: string; n: number }>(
    `SELECT "stripeEventId", count(*)::int AS n FROM "PaymentEvent" GROUP BY 1 HAVING count(*) > 1`,
  );
  return rows;
}

export interface BulkOrder {
  id: string;
  sessionId: string;
  amountTotal: number;
  currency: string;
}

/**
 * `count` pending orders with one line each and a Checkout Session id, written in two
 * statements: what many checkouts would have left behind, without a Stripe call each.
 */
export async function insertPendingOrders(ctx: AppContext, userId: string, productId: string, count: number): Promise<BulkOrder[]> {
  const batch = randomBytes(4).toString("hex");
  const { rows } = await ctx.db.pool.query<BulkOrder>(
    `INSERT INTO "Order" ("userId", "status", "amountTotal", "currency", "stripeCheckoutSessionId", "updatedAt")
     SELECT $1::uuid, 'pending', 1000 + g, 'eur', 'cs_test_' || $2 || '_' || g, now() FROM generate_series(1, $3::int) AS g
     RETURNING "id", "stripeCheckoutSessionId" AS "sessionId", "amountTotal", "currency"`,
    [userId, batch, count],
  );
  await ctx.db.pool.query(
    `INSERT INTO "OrderItem" ("orderId", "productId", "name", "quantity", "unitAmount")
     SELECT o."id", $2::uuid, 'Test product', 1, o."amountTotal" FROM "Order" o WHERE o."id" = ANY($1::uuid[])`,
    [rows.map((r) => r.id), productId],
  );
  return rows;
}

export type SessionEventType =
  | "checkout.session.completed"
  | "checkout.session.async_payment_succeeded"
  | "checkout.session.async_payment_failed"
  | "checkout.session.expired";

/** A Checkout Session event for `order` in Stripe's envelope, as Stripe would send it. */
export function sessionEvent(type: SessionEventType, order: BulkOrder, paymentStatus: "paid" | "unpaid"): Stripe.Event {
  const status = type === "checkout.session.expired" ? "expired" : "complete";
  const created = Math.floor(Date.now() / 1000);
  return {
    id: `evt_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    api_version: STAND_IN_API_VERSION,
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: {
      object: {
        id: order.sessionId,
        object: "checkout.session",
        status,
        payment_status: paymentStatus,
        amount_total: order.amountTotal,
        currency: order.currency,
        client_reference_id: order.id,
        metadata: { orderId: order.id },
        payment_intent: status === "expired" ? null : `pi_${order.id.replaceAll("-", "")}`,
        mode: "payment",
      },
    },
  } as unknown as Stripe.Event;
}

/** The webhook request Stripe would send for `event`, signed now with the suite's webhook secret. */
export function webhookCall(event: object): Call {
  const signed = signEvent(event, TEST_SECRETS.webhookSecret, Math.floor(Date.now() / 1000));
  return { method: "POST", path: "/webhooks/stripe", headers: signed.headers, body: signed.body, timeoutMs: 30_000 };
}

/** POSTs `event` to an instance's webhook, signed now. */
export function deliverEvent(baseUrl: string, event: object): Promise<Reply> {
  return call(baseUrl, webhookCall(event));
}

/** Environment for app processes over `databaseUrl` (DIRECT_DATABASE_URL defaults to it). */
export function processEnv(databaseUrl: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { DATABASE_URL: databaseUrl, SHUTDOWN_DELAY_MS: "0", ...extra };
}

/**
 * Rows that only a half-finished write could leave: an order without lines or whose total
 * is not the sum of its lines, a paid order without the ledger row that paid it, a ledger
 * row that says it paid an order still pending. Returns a description of each; [] is healthy.
 */
export async function halfWrites(ctx: AppContext): Promise<string[]> {
  const { rows } = await ctx.db.pool.query<{ problem: string }>(`
    SELECT 'order ' || o."id" || ' has no lines or a total unlike its lines' AS problem FROM "Order" o
    WHERE o."amountTotal" IS DISTINCT FROM (SELECT sum(i."quantity" * i."unitAmount") FROM "OrderItem" i WHERE i."orderId" = o."id")
    UNION ALL
    SELECT 'order ' || o."id" || ' is ' || o."status" || ' without a processed ledger row' FROM "Order" o
    WHERE o."status" IN ('paid', 'processing', 'failed') AND o."stripeCheckoutSessionId" IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM "PaymentEvent" e WHERE e."orderId" = o."id" AND e."outcome" = 'processed')
    UNION ALL
    SELECT 'ledger row ' || e."stripeEventId" || ' processed but order ' || o."id" || ' still pending' FROM "PaymentEvent" e
    JOIN "Order" o ON o."id" = e."orderId"
    WHERE e."outcome" = 'processed' AND e."type" LIKE 'checkout.session.%' AND o."status" = 'pending'`);
  return rows.map((r) => r.problem);
}

/** The Stripe event ids of `ids` that the ledger holds. */
export async function ledgerHas(ctx: AppContext, ids: string[]): Promise<Set<string>> {
  const { rows } = await ctx.db.pool.query<{ id: string }>(`SELECT "stripeEventId" AS id FROM "PaymentEvent" WHERE "stripeEventId" = ANY($1::text[])`, [ids]);
  return new Set(rows.map((r) => r.id));
}

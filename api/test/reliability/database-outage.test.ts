import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/platform/db/migrations.js";
import { startStripeStandIn, type StripeStandIn } from "../../../dev/stripe-stand-in/index.js";
import { TEST_SECRETS } from "../helpers/constants.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { startAppProcess, type AppProcess } from "./support/app-process.js";
import { checkout, createBuyer, createProduct } from "./support/fixtures.js";
import { attempt, call, inBatches, type Reply } from "./support/http.js";
import {
  duplicateLedgerRows,
  halfWrites,
  insertPendingOrders,
  installTransitionAudit,
  ledgerHas,
  openWorld,
  processEnv,
  sessionEvent,
  transitions,
  type BulkOrder,
  type World,
  webhookCall,
} from "./support/world.js";

/** Client-side deadlines of the instance under test. */
const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 2000;
/** Generous bound proving that a request fails instead of hanging. */
const ANSWER_BOUND_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS + 3000;

interface Delivery {
  event: Stripe.Event;
  reply: Reply & { error?: string };
}

/*
 * A PostgreSQL of this test's own (never the shared one) behind a pausable TCP proxy, and the
 * real service in its own process talking to it through the proxy. The database is stopped
 * under traffic, then frozen; the same process must answer within its deadlines throughout
 * and recover by itself each time.
 */
describe("database outage", () => {
  let postgres: TestPostgres;
  let proxy: TcpProxy;
  let world: World;
  let stripe: StripeStandIn;
  let app: AppProcess;
  let buyer: Awaited<ReturnType<typeof createBuyer>>;
  let productId: string;
  let orders: BulkOrder[];
  let nextOrder = 0;
  const deliveries: Delivery[] = [];

  const deliverFresh = async (): Promise<Delivery> => {
    const order = orders[nextOrder++]!;
    const event = sessionEvent("checkout.session.completed", order, "paid");
    const delivery = { event, reply: await attempt(app.url, webhookCall(event)) };
    deliveries.push(delivery);
    return delivery;
  };
  const buy = () => checkout(app, buyer.auth, [{ productId, quantity: 1 }], undefined, 30_000);

  beforeAll(async () => {
    postgres = await startTestPostgres();
    await migrate({ databaseUrl: postgres.url });
    proxy = await startTcpProxy({ host: "127.0.0.1", port: postgres.port });
    world = await openWorld("database-outage", { databaseUrl: postgres.url });
    await installTransitionAudit(world.ctx);
    stripe = await startStripeStandIn({ webhookSecret: TEST_SECRETS.webhookSecret });
    buyer = await createBuyer(world.ctx);
    productId = (await createProduct(world.ctx, { unitAmount: 1200 })).id;
    orders = await insertPendingOrders(world.ctx, buyer.user.id, productId, 400);
    const viaProxy = new URL(postgres.url);
    viaProxy.port = String(proxy.port);
    app = await startAppProcess(
      "database-outage",
      processEnv(viaProxy.toString(), {
        STRIPE_API_URL: stripe.url,
        DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
        CHECKOUT_RATE_LIMIT: "100000",
      }),
    );
  });

  afterAll(async () => {
    // Each resource is released even when an earlier one fails to close (no stray PostgreSQL).
    await Promise.allSettled([app?.stop(), stripe?.close()]);
    await Promise.allSettled([world?.close(), proxy?.close()]);
    await postgres?.stop();
  });

  /** Redelivers every event sent so far, as Stripe retries, then checks the ledger and orders. */
  const expectEveryEventAppliedOnce = async () => {
    const redelivered = await inBatches(deliveries.map(({ event }) => () => call(app.url, webhookCall(event))), 8);
    expect(redelivered.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
    const ids = deliveries.map(({ event }) => event.id);
    expect((await ledgerHas(world.ctx, ids)).size).toBe(ids.length);
    expect(await duplicateLedgerRows(world.ctx)).toEqual([]);
    const paidIds = orders.slice(0, nextOrder).map((o) => o.id);
    const moved = await transitions(world.ctx, paidIds);
    expect(moved).toHaveLength(paidIds.length);
    expect(moved.every((t) => t.from_status === "pending" && t.to_status === "paid")).toBe(true);
    expect(await world.ctx.prisma.order.count({ where: { id: { in: paidIds }, status: "paid" } })).toBe(paidIds.length);
    expect(await halfWrites(world.ctx)).toEqual([]);
  };

  it("when the database stops under traffic, then /health stays 200, /ready is 503 within 2 s, webhooks 500, checkout 503, and the same process recovers", async () => {
    // Traffic: webhooks and checkouts in a loop, across the outage and back.
    let running = true;
    const checkouts: (Reply & { error?: string })[] = [];
    const traffic = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (running) {
          await deliverFresh();
          checkouts.push(await buy().catch((err: Error) => ({ status: 0, error: err.message }) as Reply & { error: string }));
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));

    await postgres.halt();
    const health = await call(app.url, { path: "/health" });
    expect(health.status).toBe(200);
    const ready = await call(app.url, { path: "/ready" });
    expect(ready.status).toBe(503);
    expect(ready.elapsedMs).toBeLessThan(2000);
    expect(ready.body).toMatchObject({ status: "unavailable", checks: { database: "fail" } });

    const during = await deliverFresh();
    expect(during.reply.status).toBe(500);
    expect(during.reply.headers["content-type"]).toContain("application/problem+json");
    expect(during.reply.elapsedMs).toBeLessThan(ANSWER_BOUND_MS);
    const refused = await buy();
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", status: 503 });
    expect(refused.headers["content-type"]).toContain("application/problem+json");
    expect(refused.elapsedMs).toBeLessThan(ANSWER_BOUND_MS);
    expect(refused.text).not.toMatch(/ECONNREFUSED|postgres|SELECT|INSERT|at .*\.ts:\d+/i);
    await new Promise((resolve) => setTimeout(resolve, 500));

    await postgres.resume();
    await expectReady(app);
    running = false;
    await traffic;

    // Every answer was one of the documented ones: never a webhook 200 that was not applied.
    const webhookStatuses = new Set(deliveries.map((d) => d.reply.status));
    expect([...webhookStatuses].every((s) => s === 200 || s === 500)).toBe(true);
    expect(webhookStatuses.has(200) && webhookStatuses.has(500)).toBe(true);
    expect(checkouts.filter((c) => c.status !== 201 && c.status !== 503).map((c) => `${c.status} ${c.text}`)).toEqual([]);
    const acknowledged = deliveries.filter((d) => d.reply.status === 200).map((d) => d.event.id);
    expect((await ledgerHas(world.ctx, acknowledged)).size).toBe(acknowledged.length);
    const created = checkouts.filter((c) => c.status === 201).map((c) => c.body!.orderId as string);
    expect(await world.ctx.prisma.order.count({ where: { id: { in: created }, stripeCheckoutSessionId: { not: null } } })).toBe(created.length);
    expect(app.lines().some((l) => l.msg === "listening" && l.pid !== app.pid)).toBe(false);

    await expectEveryEventAppliedOnce();
  });

  it("when the database freezes (no answer, no error), then every request still answers within its deadline, and the same process recovers", async () => {
    proxy.pause();
    try {
      const [health, ready, during, refused] = await Promise.all([
        call(app.url, { path: "/health" }),
        call(app.url, { path: "/ready" }),
        deliverFresh(),
        buy(),
      ]);
      expect(health.status).toBe(200);
      expect(ready.status).toBe(503);
      expect(ready.elapsedMs).toBeLessThan(2000);
      expect(during.reply.status).toBe(500);
      expect(during.reply.elapsedMs).toBeLessThan(ANSWER_BOUND_MS);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
      expect(refused.elapsedMs).toBeLessThan(ANSWER_BOUND_MS);
      // New connections cannot be made either: still answered within the deadline.
      const again = await deliverFresh();
      expect(again.reply.status).toBe(500);
      expect(again.reply.elapsedMs).toBeLessThan(ANSWER_BOUND_MS);
    } finally {
      proxy.resume();
    }

    await expectReady(app);
    await expectEveryEventAppliedOnce();
  });
});

async function expectReady(app: AppProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await call(app.url, { path: "/ready" });
    if (ready.status === 200) return;
    if (Date.now() > deadline) throw new Error(`/ready still ${ready.status} 20 s after the database came back: ${ready.text}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

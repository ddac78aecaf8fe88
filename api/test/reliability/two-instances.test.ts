import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startStripeStandIn, type StripeStandIn } from "../../../dev/stripe-stand-in/index.js";
import { createUser } from "../helpers/auth.js";
import { TEST_SECRETS, testPassword } from "../helpers/constants.js";
import { adminQuery, databaseUrl } from "../helpers/database.js";
import { REPO_ROOT, runTs } from "../helpers/run-script.js";
import { eventOf } from "../helpers/payments.js";
import { startAppProcess, type AppProcess } from "./support/app-process.js";
import { checkout, createBuyer, createProduct, metric, ordersOf, randomClientIp } from "./support/fixtures.js";
import { call } from "./support/http.js";
import { PGBOUNCER_BINARY, startPgBouncer, type PgBouncer } from "./support/pgbouncer.js";
import { installTransitionAudit, openWorld, processEnv, transitions, type World } from "./support/world.js";

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) process.stdout.write("two-instances: skipping the shared login limit: REDIS_URL is not set\n");
// CI installs PgBouncer (.ci/run), so there a missing binary fails the run instead of skipping.
const runPooled = Boolean(PGBOUNCER_BINARY) || process.env.CI === "true";
if (!runPooled) process.stdout.write("two-instances: skipping the PgBouncer run: pgbouncer is not installed\n");

const modes = [
  { mode: "direct connections", pooled: false },
  ...(runPooled ? [{ mode: "PgBouncer in transaction pooling mode", pooled: true }] : []),
];

/*
 * Two real app processes on different ports share one PostgreSQL (directly, then through
 * PgBouncer as a deployment with many instances would) and one Redis.
 */
describe.each(modes)("two instances, one database, through $mode", ({ pooled }) => {
  let world: World;
  let stripe: StripeStandIn;
  let bouncer: PgBouncer | undefined;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    world = await openWorld(pooled ? "two-instances-pooled" : "two-instances");
    await installTransitionAudit(world.ctx);
    stripe = await startStripeStandIn({ webhookSecret: TEST_SECRETS.webhookSecret });
    bouncer = pooled ? await startPgBouncer(world.databaseUrl) : undefined;
    const env = processEnv(bouncer ? bouncer.urlFor(world.databaseUrl) : world.databaseUrl, {
      DIRECT_DATABASE_URL: world.databaseUrl,
      STRIPE_API_URL: stripe.url,
      REDIS_URL,
      // Behind a load balancer: the client address comes from X-Forwarded-For, which lets
      // this test use addresses of its own and share Redis with any other run.
      TRUST_PROXY: "127.0.0.1",
      LOGIN_FAILURE_LIMIT: "3",
      AUTH_RATE_LIMIT: "5",
      CHECKOUT_RATE_LIMIT: "1000",
    });
    [a, b] = await Promise.all([startAppProcess("instance-a", env), startAppProcess("instance-b", env)]);
  });

  afterAll(async () => {
    // Each resource is released even when an earlier one fails to close (no stray PgBouncer).
    const results = await Promise.allSettled([a?.stop(), b?.stop()]);
    await Promise.allSettled([bouncer?.stop(), stripe?.close()]);
    await world?.close();
    for (const result of results) if (result.status === "rejected") throw result.reason;
  });

  it("when the same webhook event is sent 100 times across both instances in parallel, then one ledger row and one transition", async () => {
    const product = await createProduct(world.ctx, { unitAmount: 2500 });
    const buyer = await createBuyer(world.ctx);
    const created = await checkout(a, buyer.auth, [{ productId: product.id, quantity: 2 }]);
    expect(created.status).toBe(201);
    const { orderId, sessionId } = created.body as { orderId: string; sessionId: string };
    const completed = eventOf(await stripe.completeSession(sessionId), "checkout.session.completed");

    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => stripe.deliver(completed, `${(i % 2 ? b : a).url}/webhooks/stripe`)));

    expect(replies.map((r) => r.status)).toEqual(Array(100).fill(200));
    const ledger = await world.ctx.prisma.paymentEvent.findMany({ where: { stripeEventId: completed.id } });
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ orderId, outcome: "processed", type: "checkout.session.completed" });
    const order = await world.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    expect(order).toMatchObject({ status: "paid", amountTotal: 5000, stripeCheckoutSessionId: sessionId });
    expect(order.stripePaymentIntentId).toMatch(/^pi_/);
    expect(await transitions(world.ctx, [orderId])).toEqual([{ order_id: orderId, from_status: "pending", to_status: "paid" }]);

    // Each instance took its half, each delivery counted once by its outcome; between them,
    // one applied it and 99 were duplicates.
    const labels = (outcome: string) => ({ type: "checkout.session.completed", outcome });
    const counted = async (instance: typeof a) => (await metric(instance, "webhook_events_total", labels("processed"))) + (await metric(instance, "webhook_events_total", labels("duplicate")));
    expect([await counted(a), await counted(b)]).toEqual([50, 50]);
    expect((await metric(a, "webhook_events_total", labels("processed"))) + (await metric(b, "webhook_events_total", labels("processed")))).toBe(1);
    expect((await metric(a, "webhook_events_total", labels("duplicate"))) + (await metric(b, "webhook_events_total", labels("duplicate")))).toBe(99);
  });

  it("when one Idempotency-Key is sent to both instances at once, then one order and one Checkout Session exist", async () => {
    const product = await createProduct(world.ctx);
    const buyer = await createBuyer(world.ctx);
    const key = `two-instances-${randomUUID()}`;
    const items = [{ productId: product.id, quantity: 1 }];
    // Stripe answers slowly, so every request arrives while the first still holds the key.
    stripe.injectFault({ method: "POST", path: "/v1/checkout/sessions", latencyMs: 400 });
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => checkout(i % 2 ? b : a, buyer.auth, items, key)));
    stripe.clearFaults();
    // A client that got 409 (still in progress) retries, as a client of this API should.
    const retry = await checkout(a, buyer.auth, items, key);

    const answered = [...replies, retry];
    for (const reply of answered) {
      expect(reply.status === 201 || (reply.status === 409 && reply.body?.code === "REQUEST_IN_PROGRESS"), JSON.stringify(reply.body)).toBe(true);
    }
    const bodies = answered.filter((r) => r.status === 201).map((r) => r.body);
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    expect(answered.filter((r) => r.status === 201 && r.headers["idempotent-replayed"] !== "true")).toHaveLength(1);

    const orders = await ordersOf(world.ctx, buyer.user.id);
    expect(orders).toHaveLength(1);
    const order = orders[0]!;
    expect(bodies[0]).toMatchObject({ orderId: order.id, sessionId: order.stripeCheckoutSessionId });
    expect(order.items).toHaveLength(1);
    const keys = await world.ctx.prisma.idempotencyKey.findMany({ where: { userId: buyer.user.id } });
    expect(keys).toMatchObject([{ key, state: "completed", orderId: order.id, responseStatus: 201 }]);
    expect([...stripe.sessions.values()].filter((s) => s.client_reference_id === order.id)).toHaveLength(1);
    const creates = stripe.requests.filter((r) => r.path === "/v1/checkout/sessions" && r.body.client_reference_id === order.id);
    expect(new Set(creates.map((r) => r.idempotencyKey))).toEqual(new Set([`checkout-session-${order.id}`]));
  });

  it.skipIf(!REDIS_URL)("when logins are spread over both instances, then the login limits of Redis hold across them", async () => {
    // Per email: failures counted on either instance lock the email on both.
    const locked = await createUser(world.ctx);
    const ip = randomClientIp();
    const login = (instance: AppProcess, email: string, password: string, from = ip) =>
      call(instance.url, { method: "POST", path: "/auth/login", headers: { "x-forwarded-for": from }, body: { email, password } });
    for (const instance of [a, b, a]) expect((await login(instance, locked.user.email, testPassword("wrong"))).status).toBe(401);
    for (const instance of [b, a]) {
      const refused = await login(instance, locked.user.email, locked.password);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: "RATE_LIMITED" });
    }
    expect(await world.ctx.prisma.refreshToken.count({ where: { userId: locked.user.id } })).toBe(0);

    // Per client address: AUTH_RATE_LIMIT (5) logins a minute in all, whichever instance answers.
    const other = await createUser(world.ctx);
    const address = randomClientIp();
    const statuses = [];
    for (const instance of [a, b, a, b, a, b, a]) statuses.push((await login(instance, other.user.email, other.password, address)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(await world.ctx.prisma.refreshToken.count({ where: { userId: other.user.id } })).toBe(5);
    expect((await metric(a, "rate_limit_redis_fallbacks_total")) + (await metric(b, "rate_limit_redis_fallbacks_total"))).toBe(0);
  });

  // Only the PgBouncer run has these (defined, not skipped, in the direct run).
  if (!pooled) return;

  it("when the instances run through PgBouncer, then PgBouncer carried their connections", async () => {
    const database = new URL(world.databaseUrl).pathname.slice(1);
    const log = await bouncer!.log();
    expect(log).toContain(`login attempt: db=${database}`);
    const ready = await Promise.all([a, b].map((instance) => call(instance.url, { path: "/ready" })));
    expect(ready.map((r) => r.status)).toEqual([200, 200]);
    // No statement failed in the pooler (a named prepared statement reused across transactions would).
    expect(log).not.toMatch(/ERROR|prepared statement/i);
  });

  it("when migrations run with DATABASE_URL on PgBouncer, then they use DIRECT_DATABASE_URL and apply every migration", async () => {
    const name = `mig_${randomBytes(5).toString("hex")}`;
    const admin = inject("adminDatabaseUrl");
    await adminQuery(admin, `CREATE DATABASE "${name}"`);
    try {
      const direct = databaseUrl(admin, name);
      const result = await runTs("api/src/jobs/migrate.ts", { DATABASE_URL: bouncer!.urlFor(direct), DIRECT_DATABASE_URL: direct, LOG_LEVEL: "info" });

      expect(result.code, result.stderr).toBe(0);
      const client = new pg.Client({ connectionString: direct });
      await client.connect();
      const { rows } = await client.query<{ migration_name: string }>(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL`);
      await client.end();
      const applied = rows.map((r) => r.migration_name);
      const files = readdirSync(`${REPO_ROOT}/prisma/migrations`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      expect(applied.sort()).toEqual(files.sort());
      // The advisory lock and the migration scripts never went through the pooler.
      expect(await bouncer!.log()).not.toContain(`db=${name}`);
    } finally {
      await adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});

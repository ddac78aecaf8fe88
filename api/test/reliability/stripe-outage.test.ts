import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStripeStandIn, type Fault, type StripeStandIn } from "../../../dev/stripe-stand-in/index.js";
import { TEST_SECRETS } from "../helpers/constants.js";
import { startAppProcess, type AppProcess } from "./support/app-process.js";
import { checkout, createBuyer, createProduct, ordersOf } from "./support/fixtures.js";
import { openWorld, processEnv, type World } from "./support/world.js";

/**
 * The bound this service promises on a request that waits on Stripe:
 * whatever Stripe does, the client has an answer within 15 s.
 */
const STRIPE_BOUND_MS = 15_000;
/** Per attempt, lowered from the default 4 s to keep the test short; 3 attempts in all. */
const STRIPE_TIMEOUT_MS = 1000;

const SESSIONS = "/v1/checkout/sessions";

/*
 * The real service in its own process; Stripe is the local stand-in, made to fail in each
 * way Stripe can fail, and a server that answers one byte at a time forever.
 */
describe("Stripe outage", () => {
  let world: World;
  let stripe: StripeStandIn;
  let app: AppProcess;

  beforeAll(async () => {
    world = await openWorld("stripe-outage");
    stripe = await startStripeStandIn({ webhookSecret: TEST_SECRETS.webhookSecret });
    app = await startAppProcess(
      "stripe-outage",
      processEnv(world.databaseUrl, { STRIPE_API_URL: stripe.url, STRIPE_TIMEOUT_MS: String(STRIPE_TIMEOUT_MS), STRIPE_MAX_NETWORK_RETRIES: "2" }),
    );
  });

  afterAll(async () => {
    await app?.stop();
    await stripe?.close();
    await world?.close();
  });

  const outages: { name: string; fault: Omit<Fault, "path" | "method">; retried: boolean }[] = [
    { name: "answers 500", fault: { status: 500 }, retried: true },
    { name: "answers 429 and asks for a retry", fault: { status: 429, shouldRetry: true }, retried: true },
    { name: "answers 429 without a retry hint", fault: { status: 429 }, retried: false },
    { name: "hangs", fault: { latencyMs: 20_000 }, retried: true },
    { name: "drops the connection", fault: { drop: true }, retried: true },
    { name: "creates the session, answer lost", fault: { status: 500, afterProcessing: true }, retried: true },
  ];

  it.each(outages)("when Stripe $name, then 502 within 15 s, and once Stripe is back a retry completes the same order with one session and one key", async ({ fault, retried }) => {
    const product = await createProduct(world.ctx, { unitAmount: 4200 });
    const buyer = await createBuyer(world.ctx);
    const key = `stripe-outage-${randomUUID()}`;
    const items = [{ productId: product.id, quantity: 1 }];

    stripe.injectFault({ method: "POST", path: SESSIONS, ...fault });
    let failed;
    try {
      failed = await checkout(app, buyer.auth, items, key);
    } finally {
      stripe.clearFaults();
    }

    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ code: "PAYMENT_PROVIDER_UNAVAILABLE", status: 502 });
    expect(failed.headers["content-type"]).toContain("application/problem+json");
    expect(failed.elapsedMs).toBeLessThan(STRIPE_BOUND_MS);
    const [pending] = await ordersOf(world.ctx, buyer.user.id);
    expect(pending).toMatchObject({ status: "pending", stripeCheckoutSessionId: null, amountTotal: 4200 });
    expect(pending!.checkoutParamsText).not.toBeNull();

    const retry = await checkout(app, buyer.auth, items, key);

    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ orderId: pending!.id });
    const orders = await ordersOf(world.ctx, buyer.user.id);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ id: pending!.id, status: "pending", stripeCheckoutSessionId: retry.body!.sessionId });
    expect(await world.ctx.prisma.idempotencyKey.findMany({ where: { userId: buyer.user.id } })).toMatchObject([{ key, state: "completed", orderId: pending!.id }]);
    expect([...stripe.sessions.values()].filter((s) => s.client_reference_id === pending!.id).map((s) => s.id)).toEqual([retry.body!.sessionId]);
    const attempts = stripe.requests.filter((r) => r.method === "POST" && r.path === SESSIONS && r.body.client_reference_id === pending!.id);
    expect(new Set(attempts.map((r) => r.idempotencyKey))).toEqual(new Set([`checkout-session-${pending!.id}`]));
    // The SDK's own retries (3 attempts) and the client's retry, all under that one key.
    expect(attempts.length).toBe(retried ? 4 : 2);
  });

  it("when Stripe answers one byte at a time forever, then the overall deadline answers 502 at 15 s and nothing but the pending order is written", async () => {
    const drip = await startDripServer();
    const dripping = await startAppProcess(
      "stripe-drip",
      processEnv(world.databaseUrl, { STRIPE_API_URL: drip.url, STRIPE_TIMEOUT_MS: String(STRIPE_TIMEOUT_MS), STRIPE_MAX_NETWORK_RETRIES: "2" }),
    );
    try {
      const product = await createProduct(world.ctx);
      const buyer = await createBuyer(world.ctx);

      const reply = await checkout(dripping, buyer.auth, [{ productId: product.id, quantity: 1 }], `drip-${randomUUID()}`);

      expect(reply.status).toBe(502);
      expect(reply.body).toMatchObject({ code: "PAYMENT_PROVIDER_UNAVAILABLE" });
      // Never idle for STRIPE_TIMEOUT_MS, so only the overall deadline can end it: at 15 s, not before.
      expect(reply.elapsedMs).toBeGreaterThanOrEqual(STRIPE_BOUND_MS - 100);
      expect(reply.elapsedMs).toBeLessThan(STRIPE_BOUND_MS + 3000);
      const orders = await ordersOf(world.ctx, buyer.user.id);
      expect(orders).toMatchObject([{ status: "pending", stripeCheckoutSessionId: null }]);
      expect(drip.idempotencyKeys).toEqual([`checkout-session-${orders[0]!.id}`]);
    } finally {
      await dripping.stop();
      await drip.close();
    }
  });
});

/** A "Stripe" that starts a 200 answer and then sends one space every 300 ms, never finishing. */
async function startDripServer(): Promise<{ url: string; idempotencyKeys: string[]; close(): Promise<void> }> {
  const idempotencyKeys: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    idempotencyKeys.push(String(req.headers["idempotency-key"]));
    res.writeHead(200, { "content-type": "application/json" });
    const timer = setInterval(() => res.write(" "), 300);
    timers.add(timer);
    res.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    idempotencyKeys,
    async close() {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

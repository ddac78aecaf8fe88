import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startStripeStandIn, type StripeStandIn } from "../../../dev/stripe-stand-in/index.js";
import { TEST_SECRETS } from "../helpers/constants.js";
import { startAppProcess, type AppProcess } from "./support/app-process.js";
import { createBuyer, createProduct, ordersOf } from "./support/fixtures.js";
import { attempt, call } from "./support/http.js";
import { openWorld, processEnv, type World } from "./support/world.js";

const IN_FLIGHT = 50;
/** Stripe answers each session this late, so every request is still running when SIGTERM comes. */
const STRIPE_LATENCY_MS = 3000;
const SHUTDOWN_DELAY_MS = 1000;
const SHUTDOWN_TIMEOUT_MS = 20_000;

/*
 * SIGTERM to the real process while 50 checkouts wait on Stripe: the shutdown sequence,
 * observed from outside.
 */
describe("graceful drain", () => {
  let world: World;
  let stripe: StripeStandIn;
  let app: AppProcess;

  beforeAll(async () => {
    world = await openWorld("graceful-drain");
    stripe = await startStripeStandIn({ webhookSecret: TEST_SECRETS.webhookSecret });
    app = await startAppProcess(
      "graceful-drain",
      processEnv(world.databaseUrl, {
        STRIPE_API_URL: stripe.url,
        STRIPE_TIMEOUT_MS: "10000",
        CHECKOUT_RATE_LIMIT: "1000",
        SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      }),
    );
  });

  afterAll(async () => {
    await app?.stop();
    await stripe?.close();
    await world?.close();
  });

  it("when SIGTERM arrives with 50 requests in flight, then /ready is 503 at once, all 50 complete normally, new connections are refused and the exit code is 0", async () => {
    const product = await createProduct(world.ctx, { unitAmount: 700 });
    const buyer = await createBuyer(world.ctx);
    stripe.injectFault({ method: "POST", path: "/v1/checkout/sessions", latencyMs: STRIPE_LATENCY_MS });
    // A connection cut by the server shows as status 0 (with its error code), never as a rejection.
    const inFlight = Array.from({ length: IN_FLIGHT }, () =>
      attempt(app.url, { method: "POST", path: "/payments/checkout-session", headers: { authorization: buyer.auth }, body: { items: [{ productId: product.id, quantity: 3 }] } }),
    );
    // Every one of them has reached Stripe: all 50 are inside the app, waiting.
    await vi.waitFor(() => expect(stripe.requests.filter((r) => r.path === "/v1/checkout/sessions")).toHaveLength(IN_FLIGHT), { timeout: 20_000, interval: 20 });

    const signalledAt = Date.now();
    app.kill("SIGTERM");
    await app.waitForLog("shutdown started: /ready now answers 503", 5000);
    // From the first moment: the load balancer stops sending, traffic is still served.
    const ready = await call(app.url, { path: "/ready" });
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: "shutting_down" });
    expect((await call(app.url, { path: "/health" })).status).toBe(200);

    await app.waitForLog("stopped accepting connections; draining in-flight requests", 5000);
    const late = await attempt(app.url, { path: "/health" });
    expect(late.status === 0 ? late.error : late.status).toBe("ECONNREFUSED");
    expect(app.lines().some((l) => l.msg === "shutdown complete")).toBe(false);

    const replies = await Promise.all(inFlight);
    expect(replies.map((r) => r.status)).toEqual(Array(IN_FLIGHT).fill(201));
    const exit = await app.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS);
    expect(app.lines().some((l) => l.msg === "shutdown complete")).toBe(true);
    expect(app.lines().some((l) => l.msg === "drain timed out; closing remaining connections")).toBe(false);

    // Each answer is backed by its order: 50 orders, each with its own stored session.
    const orders = await ordersOf(world.ctx, buyer.user.id);
    expect(orders).toHaveLength(IN_FLIGHT);
    expect(new Set(orders.map((o) => o.stripeCheckoutSessionId))).toEqual(new Set(replies.map((r) => r.body!.sessionId)));
    expect(orders.every((o) => o.status === "pending" && o.amountTotal === 2100 && o.items.length === 1)).toBe(true);
    expect(stripe.sessions.size).toBe(IN_FLIGHT);
  });
});

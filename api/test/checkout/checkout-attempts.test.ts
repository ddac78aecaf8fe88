import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { createBuyer, createProduct, postCheckout, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

/*
 * One checkout attempt = one order and its stored session parameters, sent to Stripe under the
 * idempotency key `checkout-session-<orderId>`. Stripe saves a 5xx under that key and replays it
 * (Idempotent-Replayed: true) for 24 h, so such an attempt can never succeed: it is spent.
 * The app runs with STRIPE_MAX_NETWORK_RETRIES=0; the SDK still retries a cut connection once.
 */
let t: PaymentsTestApp;
let book: Product;
const SESSIONS = "/v1/checkout/sessions";

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "checkout-attempts" });
  book = await createProduct(t.ctx, { name: "Book", unitAmount: 2500, currency: "eur" });
});
afterAll(() => t.close());
beforeEach(() => t.stripe.clearFaults());

const posts = (orderId: string) => t.stripe.requests.filter((r) => r.method === "POST" && r.path === SESSIONS && r.idempotencyKey === `checkout-session-${orderId}`);
const ordersOf = (userId: string) => t.ctx.prisma.order.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });
const keyRow = (userId: string, key: string) => t.ctx.prisma.idempotencyKey.findFirstOrThrow({ where: { userId, key } });
const items = () => [{ productId: book.id, quantity: 1 }];

describe("a replayed Stripe error spends the attempt", () => {
  it("when Stripe saved a 500 and the SDK's retry gets it replayed, then 502 and the order is expired; the client's retry with the key creates a new order and re-links the key (201)", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    t.stripe.injectFault({ kind: "saved", method: "POST", path: SESSIONS, drop: true, times: 1 });

    const failed = await postCheckout(t, auth, items(), "spent-by-replay");

    expect(failed.status).toBe(502);
    expect(failed.body.code).toBe("PAYMENT_PROVIDER_UNAVAILABLE");
    const [spent] = await ordersOf(user.id);
    expect(spent).toMatchObject({ status: "expired", stripeCheckoutSessionId: null });
    expect(posts(spent!.id)).toHaveLength(2);

    const retried = await postCheckout(t, auth, items(), "spent-by-replay");

    expect(retried.status).toBe(201);
    expect(retried.body.orderId).not.toBe(spent!.id);
    const orders = await ordersOf(user.id);
    expect(orders.map((o) => [o.id, o.status])).toEqual([[spent!.id, "expired"], [retried.body.orderId, "pending"]]);
    expect(orders[1]!.stripeCheckoutSessionId).toBe(retried.body.sessionId);
    expect(await keyRow(user.id, "spent-by-replay")).toMatchObject({ state: "completed", orderId: retried.body.orderId, responseStatus: 201 });
    const replay = await postCheckout(t, auth, items(), "spent-by-replay");
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.body).toEqual(retried.body);
  });

  it("when a saved 500 answers the first request (no replay yet), then 502 leaves the order pending; the retry, which Stripe answers with the replay, starts a new order in that request (201)", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    t.stripe.injectFault({ kind: "saved", method: "POST", path: SESSIONS, times: 1 });

    const failed = await postCheckout(t, auth, items(), "saved-then-replayed");

    expect(failed.status).toBe(502);
    expect(failed.body.code).toBe("PAYMENT_PROVIDER_UNAVAILABLE");
    const [first] = await ordersOf(user.id);
    expect(first).toMatchObject({ status: "pending", stripeCheckoutSessionId: null });

    const retried = await postCheckout(t, auth, items(), "saved-then-replayed");

    expect(retried.status).toBe(201);
    const orders = await ordersOf(user.id);
    expect(orders.map((o) => [o.id, o.status])).toEqual([[first!.id, "expired"], [retried.body.orderId, "pending"]]);
    expect(posts(first!.id)).toHaveLength(2);
    expect(posts(retried.body.orderId)).toHaveLength(1);
    expect(await keyRow(user.id, "saved-then-replayed")).toMatchObject({ state: "completed", orderId: retried.body.orderId });
  });

  it("when the key's order was expired meanwhile, then the retry with the key creates a new order and re-links the key (201, never 409)", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    t.stripe.injectFault({ method: "POST", path: SESSIONS, status: 500, times: 1 });
    expect((await postCheckout(t, auth, items(), "expired-meanwhile")).status).toBe(502);
    const [first] = await ordersOf(user.id);
    await t.ctx.prisma.order.update({ where: { id: first!.id }, data: { status: "expired" } });

    const retried = await postCheckout(t, auth, items(), "expired-meanwhile");

    expect(retried.status).toBe(201);
    expect(retried.body.orderId).not.toBe(first!.id);
    expect(await keyRow(user.id, "expired-meanwhile")).toMatchObject({ state: "completed", orderId: retried.body.orderId });
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(2);
  });
});

describe("a session Stripe answered without what the buyer needs", () => {
  it.each([["url"], ["id"]])("when the session comes back without %s, then 502 PAYMENT_PROVIDER_ERROR, logged at error, and the attempt is spent", async (field) => {
    const { user, auth } = await createBuyer(t.ctx);
    t.stripe.injectFault({ kind: "saved", method: "POST", path: SESSIONS, omitFields: [field], times: 1 });

    const res = await postCheckout(t, auth, items(), `no-${field}`);

    expect(res.status).toBe(502);
    expect(res.body.code).toBe("PAYMENT_PROVIDER_ERROR");
    expect(res.headers["content-type"]).toContain("application/problem+json");
    const [order] = await ordersOf(user.id);
    expect(order).toMatchObject({ status: "expired", checkoutUrl: null });
    expect(t.logs.find((l) => l.level === "error" && l.orderId === order!.id).length).toBeGreaterThan(0);
    const retried = await postCheckout(t, auth, items(), `no-${field}`);
    expect(retried.status).toBe(201);
    expect(retried.body.url).toMatch(/^http/);
  });
});

describe("stored session parameters", () => {
  it("when an attempt is resumed, then every attempt sends byte for byte the parameters stored as text", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    t.stripe.injectFault({ method: "POST", path: SESSIONS, status: 500, times: 1 });
    expect((await postCheckout(t, auth, items(), "same-bytes")).status).toBe(502);

    const retried = await postCheckout(t, auth, items(), "same-bytes");

    expect(retried.status).toBe(201);
    const [first, second] = posts(retried.body.orderId);
    expect(second!.rawBody).toBe(first!.rawBody);
    const order = await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: retried.body.orderId } });
    expect(order.userId).toBe(user.id);
    expect(order.checkoutParams).toBeNull();
    expect(JSON.parse(order.checkoutParamsText!)).toMatchObject({ client_reference_id: order.id, metadata: { orderId: order.id } });
  });
});

describe("concurrent retries of a spent attempt", () => {
  it("when five retries with the key of a spent attempt run in parallel, then exactly one new order is made and the key links it", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    t.stripe.injectFault({ kind: "saved", method: "POST", path: SESSIONS, drop: true, times: 1 });
    expect((await postCheckout(t, auth, items(), "spent-parallel")).status).toBe(502);

    const answers = await Promise.all(Array.from({ length: 5 }, () => postCheckout(t, auth, items(), "spent-parallel")));

    for (const res of answers) expect([201, 409]).toContain(res.status);
    const created = answers.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.orderId)).size).toBe(1);
    const orders = await ordersOf(user.id);
    expect(orders.map((o) => o.status)).toEqual(["expired", "pending"]);
    expect(await keyRow(user.id, "spent-parallel")).toMatchObject({ state: "completed", orderId: orders[1]!.id });
  });
});

import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYNC_FRESH_MS } from "../../src/checkout/session-sync.js";
import type { Product } from "../../src/generated/prisma/client.js";
import { expectProblem } from "../auth/support.js";
import { checkoutOne, eventOf, countEvents, createBuyer, createProduct, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "session-sync" });
  product = await createProduct(t.ctx, { unitAmount: 1500 });
});
afterAll(() => t.close());

const getSession = (auth: string, sessionId: string) =>
  request(t.app).get(`/payments/checkout-session/${sessionId}`).set("Authorization", auth);

describe("GET /payments/checkout-session/:sessionId", () => {
  it("when the customer reaches the success page before the webhook, then the order is paid, and the webhook afterwards changes nothing", async () => {
    const { auth } = await createBuyer(t.ctx);
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id, 2);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");

    const res = await getSession(auth, sessionId);

    expect(res.status).toBe(200);
    expect(res.body.order).toMatchObject({
      id: orderId,
      status: "paid",
      amountTotal: 3000,
      currency: "eur",
      items: [{ productId: product.id, name: product.name, quantity: 2, unitAmount: 1500 }],
      refundedAmount: 0,
      paidAt: expect.any(String),
      createdAt: expect.any(String),
    });
    const paidAt = res.body.order.paidAt;

    t.clock.advance(5_000);
    expect((await sendEvent(t, completed)).status).toBe(200);
    const order = await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    expect(order.status).toBe("paid");
    expect(order.paidAt!.toISOString()).toBe(paidAt);
    expect(await countEvents(t.ctx, { orderId })).toBe(1);
    expect((await t.ctx.prisma.paymentEvent.findFirstOrThrow({ where: { orderId } })).outcome).toBe("ignored");
  });

  it("when the sync and the webhook run at the same moment, then one transition and one ledger row", async () => {
    const { auth } = await createBuyer(t.ctx);
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    const transitions = () => t.ctx.metrics.render().then((text) => Number(/^order_transitions_total\{from="pending",to="paid"\} (\d+)/m.exec(text)?.[1] ?? 0));
    const before = await transitions();
    const answers = await Promise.all([getSession(auth, sessionId), sendEvent(t, completed), getSession(auth, sessionId), sendEvent(t, completed)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect((await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("paid");
    expect(await countEvents(t.ctx, { orderId })).toBe(1);
    expect((await transitions()) - before).toBe(1);
  });

  it("when the session is still open, then the order stays pending", async () => {
    const { auth } = await createBuyer(t.ctx);
    const { sessionId } = await checkoutOne(t, auth, product.id);
    const res = await getSession(auth, sessionId);
    expect(res.status).toBe(200);
    expect(res.body.order.status).toBe("pending");
    expect(res.body.order.paidAt).toBeNull();
  });

  it("when Stripe is unreachable, then 200 with the stored order", async () => {
    const { auth } = await createBuyer(t.ctx);
    const { sessionId } = await checkoutOne(t, auth, product.id);
    await t.stripe.completeSession(sessionId, "paid");
    t.stripe.injectFault({ path: /\/v1\/checkout\/sessions\/cs_/, method: "GET", status: 500, times: 5 });
    try {
      const res = await getSession(auth, sessionId);
      expect(res.status).toBe(200);
      expect(res.body.order.status).toBe("pending");
    } finally {
      t.stripe.clearFaults();
    }
  });

  it("when another user asks for the session, then 404, and nothing is synced", async () => {
    const owner = await createBuyer(t.ctx);
    const stranger = await createBuyer(t.ctx);
    const { orderId, sessionId } = await checkoutOne(t, owner.auth, product.id);
    await t.stripe.completeSession(sessionId, "paid");
    const res = await getSession(stranger.auth, sessionId);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("NOT_FOUND");
    expect((await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("pending");
  });

  it("when the session id is malformed or the caller is anonymous, then 400 or 401", async () => {
    const { auth } = await createBuyer(t.ctx);
    expect((await getSession(auth, "not-a-session")).status).toBe(400);
    expect((await request(t.app).get("/payments/checkout-session/cs_test_123")).status).toBe(401);
  });
});

describe("GET /payments/checkout-session/:sessionId under load", () => {
  const reads = (sessionId: string) => t.stripe.requests.filter((r) => r.method === "GET" && r.path === `/v1/checkout/sessions/${sessionId}`).length;

  it("when 20 syncs of a pending order arrive at once, then Stripe is read at most twice, and beyond SYNC_RATE_LIMIT the user gets 429 with Retry-After", async () => {
    t.clock.advance(61_000); // a fresh per-user window
    const { auth } = await createBuyer(t.ctx);
    const other = await createBuyer(t.ctx);
    const { sessionId } = await checkoutOne(t, auth, product.id);
    const before = reads(sessionId);

    const burst = await Promise.all(Array.from({ length: 20 }, () => getSession(auth, sessionId)));
    expect(burst.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(burst.every((r) => r.body.order.status === "pending")).toBe(true);
    expect(reads(sessionId) - before).toBeGreaterThanOrEqual(1);
    expect(reads(sessionId) - before).toBeLessThanOrEqual(2);

    // 60 a minute per user (the default): 40 more are answered, the next is refused.
    const rest = await Promise.all(Array.from({ length: 40 }, () => getSession(auth, sessionId)));
    expect(rest.every((r) => r.status === 200)).toBe(true);
    const refused = await getSession(auth, sessionId);
    expectProblem(refused, 429, "RATE_LIMITED");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(60);
    expect(reads(sessionId) - before).toBeLessThanOrEqual(2);
    // Another user's budget is their own.
    expect((await getSession(other.auth, sessionId)).status).toBe(404);
  });

  it("when the order was synced moments ago, then the next sync answers from the database, and after a few seconds Stripe is read again", async () => {
    t.clock.advance(61_000);
    const { auth } = await createBuyer(t.ctx);
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    expect((await getSession(auth, sessionId)).status).toBe(200);
    const afterFirst = reads(sessionId);
    await t.stripe.completeSession(sessionId, "paid");

    expect((await getSession(auth, sessionId)).body.order).toMatchObject({ id: orderId, status: "pending" });
    expect(reads(sessionId)).toBe(afterFirst);

    t.clock.advance(SYNC_FRESH_MS);
    expect((await getSession(auth, sessionId)).body.order).toMatchObject({ id: orderId, status: "paid" });
    expect(reads(sessionId)).toBe(afterFirst + 1);
  });
});

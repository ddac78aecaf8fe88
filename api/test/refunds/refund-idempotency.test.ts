import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { checkoutOne, createBuyer, createProduct, eventOf, postCheckout, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;
let buyer: Awaited<ReturnType<typeof createBuyer>>;
let admin: Awaited<ReturnType<typeof createBuyer>>;

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "refund-idempotency" });
  product = await createProduct(t.ctx, { unitAmount: 1000 });
  buyer = await createBuyer(t.ctx);
  admin = await createBuyer(t.ctx, "ADMIN");
});
afterAll(() => t.close());

async function paidOrder(quantity = 1) {
  const { orderId, sessionId } = await checkoutOne(t, buyer.auth, product.id, quantity);
  await sendEvent(t, eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed"));
  const { stripePaymentIntentId } = await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
  return { orderId, paymentIntent: stripePaymentIntentId! };
}

const refund = (orderId: string, body: object, key?: string, auth = admin.auth) => {
  const req = request(t.app).post(`/admin/orders/${orderId}/refunds`).set("Authorization", auth);
  if (key !== undefined) req.set("Idempotency-Key", key);
  return req.send(body);
};
const stripeRefundsOf = (paymentIntent: string) => [...t.stripe.refunds.values()].filter((r) => r.payment_intent === paymentIntent);
const rowsOf = (orderId: string) => t.ctx.prisma.refund.findMany({ where: { orderId } });

describe("POST /admin/orders/:id/refunds with an Idempotency-Key", () => {
  it("when the same key and body come again, then the first answer is replayed and no second refund is made", async () => {
    const { orderId, paymentIntent } = await paidOrder(2);
    const first = await refund(orderId, { amount: 400 }, "refund-key-1");
    const again = await refund(orderId, { amount: 400 }, "refund-key-1");

    expect(first.status).toBe(201);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(again.status).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(stripeRefundsOf(paymentIntent)).toHaveLength(1);
    expect(await rowsOf(orderId)).toHaveLength(1);
  });

  it("when the key comes with another body, or for another order, then 409 IDEMPOTENCY_KEY_REUSED", async () => {
    const { orderId } = await paidOrder(2);
    const other = await paidOrder(1);
    expect((await refund(orderId, { amount: 400 }, "refund-key-2")).status).toBe(201);

    const otherBody = await refund(orderId, { amount: 500 }, "refund-key-2");
    const otherOrder = await refund(other.orderId, { amount: 400 }, "refund-key-2");

    expect(otherBody.status).toBe(409);
    expect(otherBody.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(otherOrder.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await rowsOf(other.orderId)).toHaveLength(0);
  });

  it("when a checkout's key is sent to the refund endpoint, then it never replays the checkout's answer", async () => {
    const { orderId } = await paidOrder(1);
    expect((await postCheckout(t, admin.auth, [{ productId: product.id, quantity: 1 }], "shared-key")).status).toBe(201);
    const res = await refund(orderId, {}, "shared-key");
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("when the outcome was unknown, then the same key replays the 202 and makes nothing new", async () => {
    const { orderId, paymentIntent } = await paidOrder(1);
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 1 });
    const first = await refund(orderId, { amount: 300 }, "refund-key-3");
    const again = await refund(orderId, { amount: 300 }, "refund-key-3");

    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(stripeRefundsOf(paymentIntent)).toHaveLength(0);
    expect(await rowsOf(orderId)).toHaveLength(1);
  });

  it("when the key is too long or not printable ASCII, then 400 VALIDATION_FAILED and nothing is written", async () => {
    const { orderId } = await paidOrder(1);
    for (const key of ["x".repeat(256), "caf\u00e9"]) {
      const res = await refund(orderId, { amount: 100 }, key);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
      expect(res.body.errors).toHaveProperty("Idempotency-Key");
    }
    expect(await rowsOf(orderId)).toHaveLength(0);
  });
});

describe("POST /admin/orders/:id/refunds in parallel", () => {
  it("when the same key is fired 10 times at once, then one Stripe refund and one row, every answer the same refund or 409 in progress", async () => {
    const { orderId, paymentIntent } = await paidOrder(1);
    const answers = await Promise.all(Array.from({ length: 10 }, () => refund(orderId, { amount: 700 }, "burst-key")));

    const ok = answers.filter((a) => a.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((a) => a.body.refund.id)).size).toBe(1);
    expect(answers.filter((a) => a.status !== 201).every((a) => a.status === 409 && a.body.code === "REQUEST_IN_PROGRESS")).toBe(true);
    expect(stripeRefundsOf(paymentIntent)).toHaveLength(1);
    expect(await rowsOf(orderId)).toHaveLength(1);
    expect(await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).toMatchObject({ refundedAmount: 700 });
  });

  it("when 10 admins refund one order at once while Stripe answers 5xx, then never more is reserved than the total and each reservation is one Stripe refund", async () => {
    const { orderId, paymentIntent } = await paidOrder(1);
    const admins = await Promise.all(Array.from({ length: 10 }, () => createBuyer(t.ctx, "ADMIN")));
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 2 });

    const answers = await Promise.all(admins.map((a) => refund(orderId, { amount: 300 }, undefined, a.auth)));

    expect(answers.every((a) => [201, 202, 400, 409].includes(a.status))).toBe(true);
    const rows = await rowsOf(orderId);
    const reserved = rows.filter((r) => r.status !== "failed").reduce((sum, r) => sum + r.amount, 0);
    expect(reserved).toBeLessThanOrEqual(1000);
    expect(stripeRefundsOf(paymentIntent).length).toBeLessThanOrEqual(rows.length);
    const refundIds = stripeRefundsOf(paymentIntent).map((r) => r.metadata.refundId);
    expect(new Set(refundIds).size).toBe(refundIds.length);
    expect(new Set(rows.map((r) => r.createdBy)).size).toBe(rows.length);
  });
});

import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { runMaintenance } from "../../src/maintenance/maintenance-service.js";
import { accessTokenFor } from "../helpers/auth.js";
import { checkoutOne, createBuyer, createProduct, eventOf, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;
let buyer: { user: { id: string; role: "USER" | "ADMIN" } };
let admin: { user: { id: string; role: "USER" | "ADMIN" } };

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "refunds-unknown-outcome" });
  product = await createProduct(t.ctx, { unitAmount: 1000 });
  buyer = await createBuyer(t.ctx);
  admin = await createBuyer(t.ctx, "ADMIN");
});
afterAll(() => t.close());

/** A token minted now: tests move the clock past a token's lifetime. */
const authOf = (who: typeof buyer) => `Bearer ${accessTokenFor(t.ctx, who.user)}`;

async function paidOrder(quantity: number) {
  const { orderId, sessionId } = await checkoutOne(t, authOf(buyer), product.id, quantity);
  expect((await sendEvent(t, eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed"))).status).toBe(200);
  const { stripePaymentIntentId } = await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
  return { orderId, paymentIntent: stripePaymentIntentId! };
}

const refund = (orderId: string, body: object = {}) =>
  request(t.app).post(`/admin/orders/${orderId}/refunds`).set("Authorization", authOf(admin)).send(body);
const stripeRefundsOf = (paymentIntent: string) => [...t.stripe.refunds.values()].filter((r) => r.payment_intent === paymentIntent);
const refundPosts = () => t.stripe.requests.filter((r) => r.method === "POST" && r.path === "/v1/refunds").length;
const orderOf = (id: string) => t.ctx.prisma.order.findUniqueOrThrow({ where: { id }, include: { refunds: true } });

describe("POST /admin/orders/:id/refunds when Stripe's outcome is unknown", () => {
  it("when Stripe answers 5xx and the admin retries, then 202 pending, 409 REFUND_PENDING, and exactly one 30.00 refund is paid", async () => {
    const { orderId, paymentIntent } = await paidOrder(6);
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 1 });

    const first = await refund(orderId, { amount: 3000 });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ refund: { id: expect.any(String), amount: 3000, status: "pending" } });
    const [reserved] = (await orderOf(orderId)).refunds;
    expect(reserved).toMatchObject({ id: first.body.refund.id, status: "pending", amount: 3000, stripeRefundId: null, createdBy: admin.user.id });

    const retry = await refund(orderId, { amount: 3000 });
    expect(retry.status).toBe(409);
    expect(retry.body.code).toBe("REFUND_PENDING");
    expect(retry.body.refund).toMatchObject({ id: first.body.refund.id, amount: 3000 });

    t.clock.advance(2 * 3600 * 1000);
    await runMaintenance(t.ctx);
    await runMaintenance(t.ctx);

    expect(stripeRefundsOf(paymentIntent).map((r) => r.amount)).toEqual([3000]);
    const order = await orderOf(orderId);
    expect(order.refunds).toHaveLength(1);
    expect(order.refunds[0]).toMatchObject({ id: first.body.refund.id, status: "succeeded", stripeRefundId: stripeRefundsOf(paymentIntent)[0]!.id });
    expect(order).toMatchObject({ refundedAmount: 3000, status: "partially_refunded" });
  });

  it("when Stripe refunded but its answer was lost, then the next request finds the refund by its metadata and resubmits nothing", async () => {
    const { orderId, paymentIntent } = await paidOrder(2);
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 1, afterProcessing: true });
    const first = await refund(orderId, { amount: 500 });
    expect(first.status).toBe(202);
    const posts = refundPosts();

    const retry = await refund(orderId, { amount: 500 });

    expect(retry.status).toBe(409);
    expect(retry.body).toMatchObject({ code: "REFUND_PENDING", refund: { id: first.body.refund.id, amount: 500, status: "succeeded" } });
    expect(refundPosts()).toBe(posts);
    expect(stripeRefundsOf(paymentIntent)).toHaveLength(1);
    expect(await orderOf(orderId)).toMatchObject({ refundedAmount: 500, status: "partially_refunded" });
    // Resolved: the next request is an ordinary refund again.
    expect((await refund(orderId, { amount: 500 })).status).toBe(201);
  });

  it("when a process died after Stripe refunded but before recording it, then a later request resolves that refund instead of making a second", async () => {
    const { orderId, paymentIntent } = await paidOrder(2);
    const orphan = await t.ctx.prisma.refund.create({
      data: { orderId, amount: 800, status: "pending", createdBy: admin.user.id, firstAttemptAt: new Date(t.clock.now().getTime() - 60_000) },
    });
    await t.ctx.stripe.refunds.create({ payment_intent: paymentIntent, amount: 800, metadata: { orderId, refundId: orphan.id } }, { idempotencyKey: `refund-${orphan.id}` });

    const res = await refund(orderId, { amount: 800 });

    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "REFUND_PENDING", refund: { id: orphan.id, amount: 800, status: "succeeded" } });
    expect(stripeRefundsOf(paymentIntent).map((r) => r.amount)).toEqual([800]);
    expect(await orderOf(orderId)).toMatchObject({ refundedAmount: 800 });
  });

  it.each([
    ["a 429", { status: 429 as const }],
    ["no answer", { drop: true }],
  ])("when Stripe gives %s, then 202 pending and the amount stays reserved", async (_name, fault) => {
    const { orderId } = await paidOrder(1);
    // A cut connection may be retried by the SDK on a fresh socket: enough faults for that.
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", times: 3, ...fault });
    const res = await refund(orderId, { amount: 600 });
    t.stripe.clearFaults();
    expect(res.status).toBe(202);
    expect(res.body.refund).toMatchObject({ amount: 600, status: "pending" });
    // 400 left: 600 is still reserved, and the pending refund blocks a new one anyway.
    const over = await refund(orderId, { amount: 500 });
    expect(over.status).toBe(409);
    expect(over.body.code).toBe("REFUND_PENDING");
    expect((await orderOf(orderId)).refunds.map((r) => [r.amount, r.status])).toEqual([[600, "succeeded"]]);
  });

  it("when Stripe refuses the refund (another 4xx), then 502, the reservation is failed and logged at error", async () => {
    const { orderId } = await paidOrder(1);
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 400, times: 1 });
    const res = await refund(orderId, { amount: 400 });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe("PAYMENT_PROVIDER_ERROR");
    expect((await orderOf(orderId)).refunds.map((r) => r.status)).toEqual(["failed"]);
    expect(t.logs.find((l) => l.level === "error" && l.msg === "stripe refused our request" && l.orderId === orderId)).toHaveLength(1);
  });
});

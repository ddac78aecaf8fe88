import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { checkoutOne, eventOf, createBuyer, createProduct, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;
let buyer: { auth: string };
let admin: { auth: string };

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "refunds" });
  product = await createProduct(t.ctx, { unitAmount: 1000 });
  buyer = await createBuyer(t.ctx);
  admin = await createBuyer(t.ctx, "ADMIN");
});
afterAll(() => t.close());

async function paidOrder(quantity = 1) {
  const { orderId, sessionId } = await checkoutOne(t, buyer.auth, product.id, quantity);
  const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
  expect((await sendEvent(t, completed)).status).toBe(200);
  return { orderId, sessionId };
}

const refund = (orderId: string, body: object = {}, auth = admin.auth) =>
  request(t.app).post(`/admin/orders/${orderId}/refunds`).set("Authorization", auth).send(body);
const stripeIdOf = async (id: string) => (await t.ctx.prisma.refund.findUniqueOrThrow({ where: { id } })).stripeRefundId!;
const orderOf = (id: string) => t.ctx.prisma.order.findUniqueOrThrow({ where: { id }, include: { refunds: true } });
const chargeRefundedEvents = () => t.stripe.events.filter((e) => e.type === "charge.refunded");

describe("POST /admin/orders/:id/refunds", () => {
  it("when the admin refunds without an amount, then the whole rest is refunded and the order is refunded", async () => {
    const { orderId } = await paidOrder(3);
    const res = await refund(orderId);
    expect(res.status).toBe(201);
    expect(res.body.refund).toEqual({ id: expect.any(String), amount: 3000, status: "succeeded" });
    const order = await orderOf(orderId);
    expect(order).toMatchObject({ status: "refunded", refundedAmount: 3000 });
    expect(order.refunds).toHaveLength(1);
    expect(order.refunds[0]).toMatchObject({ id: res.body.refund.id, stripeRefundId: expect.stringMatching(/^re_/), status: "succeeded", amount: 3000 });
  });

  it("when charge.refunded reports the refunds made through the API, then they count once", async () => {
    const { orderId } = await paidOrder(2);
    const first = await refund(orderId, { amount: 500 });
    expect(first.status).toBe(201);
    expect((await orderOf(orderId))).toMatchObject({ status: "partially_refunded", refundedAmount: 500 });
    const second = await refund(orderId, { amount: 700 });
    expect(second.status).toBe(201);

    const { stripePaymentIntentId } = await orderOf(orderId);
    const reported = chargeRefundedEvents().filter((e) => (e.data.object as { payment_intent?: string }).payment_intent === stripePaymentIntentId);
    expect(reported).toHaveLength(2);
    for (const event of reported) {
      expect((await sendEvent(t, event)).status).toBe(200);
    }
    const order = await orderOf(orderId);
    expect(order.refundedAmount).toBe(1200);
    expect(order.status).toBe("partially_refunded");
    expect(order.refunds).toHaveLength(2);

    const rest = await refund(orderId);
    expect(rest.body.refund.amount).toBe(800);
    expect(await orderOf(orderId)).toMatchObject({ status: "refunded", refundedAmount: 2000 });
  });

  it("when two refunds that together exceed the total run in parallel, then one succeeds and the other is 400", async () => {
    const { orderId } = await paidOrder(1);
    const answers = await Promise.all([refund(orderId, { amount: 700 }), refund(orderId, { amount: 700 })]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 400]);
    expect(answers.find((a) => a.status === 400)!.body.code).toBe("REFUND_EXCEEDS_BALANCE");
    const order = await orderOf(orderId);
    expect(order.refundedAmount).toBe(700);
    expect(order.refunds.filter((r) => r.status !== "failed")).toHaveLength(1);
  });

  it("when ten refunds race for one order, then refundedAmount never exceeds the total", async () => {
    const { orderId } = await paidOrder(1);
    const answers = await Promise.all(Array.from({ length: 10 }, () => refund(orderId, { amount: 300 })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 400)).toHaveLength(7);
    expect((await orderOf(orderId)).refundedAmount).toBe(900);
  });

  it("when the amount is above the refundable rest, then 400 REFUND_EXCEEDS_BALANCE and nothing is written", async () => {
    const { orderId } = await paidOrder(1);
    const res = await refund(orderId, { amount: 1001 });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("REFUND_EXCEEDS_BALANCE");
    expect((await orderOf(orderId)).refunds).toHaveLength(0);
  });

  it("when the order is not paid, or already fully refunded, then 409 ORDER_NOT_REFUNDABLE", async () => {
    const { orderId: pendingId } = await checkoutOne(t, buyer.auth, product.id);
    expect((await refund(pendingId)).body.code).toBe("ORDER_NOT_REFUNDABLE");
    const { orderId } = await paidOrder(1);
    expect((await refund(orderId)).status).toBe(201);
    const again = await refund(orderId);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("ORDER_NOT_REFUNDABLE");
  });

  it("when a user, an anonymous caller or an unknown order, then 403, 401, 404", async () => {
    const { orderId } = await paidOrder(1);
    expect((await refund(orderId, {}, buyer.auth)).status).toBe(403);
    expect((await request(t.app).post(`/admin/orders/${orderId}/refunds`).send({})).status).toBe(401);
    expect((await refund("00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await refund(orderId, { amount: -5 })).status).toBe(400);
    expect((await refund(orderId, { amount: 10, status: "refunded" })).status).toBe(400);
    expect((await orderOf(orderId)).refunds).toHaveLength(0);
  });

  it("when Stripe refuses the refund, then 502 and the reservation is released as failed", async () => {
    const { orderId } = await paidOrder(1);
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 400, times: 1 });
    const res = await refund(orderId, { amount: 400 });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe("PAYMENT_PROVIDER_ERROR");
    const order = await orderOf(orderId);
    expect(order.refunds.map((r) => r.status)).toEqual(["failed"]);
    expect(order).toMatchObject({ status: "paid", refundedAmount: 0 });
    expect((await refund(orderId)).body.refund.amount).toBe(1000);
  });

  it("when a refund later fails (charge.refund.updated), then it is marked failed and the sum recomputed", async () => {
    const { orderId } = await paidOrder(1);
    const res = await refund(orderId, { amount: 400 });
    const failed = eventOf(await t.stripe.failRefund(await stripeIdOf(res.body.refund.id)), "charge.refund.updated");
    expect((await sendEvent(t, failed)).status).toBe(200);
    const order = await orderOf(orderId);
    expect(order.refunds[0]!.status).toBe("failed");
    expect(order).toMatchObject({ refundedAmount: 0, status: "paid" });
  });

  it("when an older pending snapshot arrives after the refund succeeded, then the refund and the order never move back", async () => {
    const { orderId } = await paidOrder(1);
    t.stripe.holdNextRefund();
    const res = await refund(orderId, { amount: 400 });
    expect(res.body.refund.status).toBe("pending");
    const pendingSnapshot = t.stripe.events.filter((e) => e.type === "charge.refunded").at(-1)!;
    const settled = eventOf(await t.stripe.settleRefund(await stripeIdOf(res.body.refund.id)), "charge.refund.updated");
    expect((await sendEvent(t, settled)).status).toBe(200);
    expect(await orderOf(orderId)).toMatchObject({ status: "partially_refunded", refundedAmount: 400 });

    // charge.refunded lists refunds as Stripe has them now, but a stale refund.updated-style
    // snapshot must not undo the success either:
    const staleUpdate = t.stripe.createEvent("charge.refund.updated", { ...(settled.data.object as object), status: "pending" });
    expect((await sendEvent(t, staleUpdate)).status).toBe(200);
    expect((await sendEvent(t, pendingSnapshot)).status).toBe(200);

    const order = await orderOf(orderId);
    expect(order.refunds.map((r) => r.status)).toEqual(["succeeded"]);
    expect(order).toMatchObject({ status: "partially_refunded", refundedAmount: 400 });
  });

  it("when Stripe refunds but its answer is lost, then charge.refunded settles the reservation, and a resubmission counts it once", async () => {
    const { orderId } = await paidOrder(1);
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 1, afterProcessing: true });
    const before = t.stripe.events.length;
    const lost = await refund(orderId, { amount: 250 });
    expect(lost.status).toBe(202);
    expect((await orderOf(orderId)).refunds.map((r) => r.status)).toEqual(["pending"]);

    const reported = t.stripe.events.slice(before).find((e) => e.type === "charge.refunded")!;
    await Promise.all([sendEvent(t, reported), sendEvent(t, reported)]);
    const afterWebhook = await orderOf(orderId);
    expect(afterWebhook.refunds).toHaveLength(1);
    expect(afterWebhook.refunds[0]).toMatchObject({ status: "succeeded", stripeRefundId: expect.stringMatching(/^re_/) });
    expect(afterWebhook.refundedAmount).toBe(250);

    // maintenance's retry with the same key gets Stripe's stored answer: still one refund
    t.clock.advance(11 * 60 * 1000);
    await t.ctx.prisma.refund.updateMany({ where: { orderId }, data: { stripeRefundId: null, status: "pending" } });
    const { runMaintenance } = await import("../../src/maintenance/maintenance-service.js");
    await runMaintenance(t.ctx);
    const final = await orderOf(orderId);
    expect(final.refunds).toHaveLength(1);
    expect(final.refunds[0]!.stripeRefundId).toBe(afterWebhook.refunds[0]!.stripeRefundId);
    expect(final.refundedAmount).toBe(250);
  });
});


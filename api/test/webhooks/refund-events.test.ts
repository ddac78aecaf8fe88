import request from "supertest";
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { HANDLED_EVENT_TYPES } from "../../src/webhooks/event-handlers.js";
import { checkoutOne, countEvents, createBuyer, createProduct, eventOf, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;
let buyer: { auth: string };
let admin: { auth: string };

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "refund-events" });
  product = await createProduct(t.ctx, { unitAmount: 1000 });
  buyer = await createBuyer(t.ctx);
  admin = await createBuyer(t.ctx, "ADMIN");
});
afterAll(() => t.close());

const orderOf = (id: string) => t.ctx.prisma.order.findUniqueOrThrow({ where: { id }, include: { refunds: true } });
const ledgerRow = (eventId: string) => t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: eventId } });
const refund = (orderId: string, body: object = {}) =>
  request(t.app).post(`/admin/orders/${orderId}/refunds`).set("Authorization", admin.auth).send(body);
const paymentIntentOf = (sessionId: string) => (t.stripe.sessions.get(sessionId) as unknown as Stripe.Checkout.Session).payment_intent as string;

async function paidOrder() {
  const { orderId, sessionId } = await checkoutOne(t, buyer.auth, product.id);
  const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
  expect((await sendEvent(t, completed)).status).toBe(200);
  return { orderId, sessionId };
}

/** Refunds a payment at Stripe directly (as the dashboard would); returns its charge.refunded event. */
async function refundAtStripe(paymentIntent: string, amount: number) {
  const before = t.stripe.events.length;
  await t.ctx.stripe.refunds.create({ payment_intent: paymentIntent, amount });
  return t.stripe.events.slice(before).find((e) => e.type === "charge.refunded")!;
}

describe("charge and refund events for orders not linked yet", () => {
  it("when charge.refunded arrives before the session event, then 500 and nothing written; redelivered after it, the refund counts", async () => {
    const { orderId, sessionId } = await checkoutOne(t, buyer.auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    const refunded = await refundAtStripe(paymentIntentOf(sessionId), 300);

    const early = await sendEvent(t, refunded);
    expect(early.status).toBe(500);
    expect(await countEvents(t.ctx, { stripeEventId: refunded.id })).toBe(0);
    expect(await orderOf(orderId)).toMatchObject({ status: "pending", refundedAmount: 0, refunds: [] });

    expect((await sendEvent(t, completed)).status).toBe(200);
    expect((await sendEvent(t, refunded)).status).toBe(200);
    expect(await ledgerRow(refunded.id)).toMatchObject({ outcome: "processed", orderId });
    expect(await orderOf(orderId)).toMatchObject({ status: "partially_refunded", refundedAmount: 300 });
  });

  it("when a charge event names no order of ours, or one that will never be paid, then it is recorded ignored", async () => {
    const stray = t.stripe.createEvent("charge.refunded", {
      id: "ch_not_ours",
      object: "charge",
      payment_intent: "pi_not_ours",
      metadata: {},
      refunds: { object: "list", data: [{ id: "re_not_ours", object: "refund", amount: 100, status: "succeeded", metadata: {} }] },
    });
    expect((await sendEvent(t, stray)).status).toBe(200);
    expect(await ledgerRow(stray.id)).toMatchObject({ outcome: "ignored", orderId: null });

    const { orderId, sessionId } = await checkoutOne(t, buyer.auth, product.id);
    await t.ctx.prisma.order.update({ where: { id: orderId }, data: { status: "failed" } });
    await t.stripe.completeSession(sessionId, "paid");
    const refunded = await refundAtStripe(paymentIntentOf(sessionId), 100);
    expect((await sendEvent(t, refunded)).status).toBe(200);
    expect(await ledgerRow(refunded.id)).toMatchObject({ outcome: "ignored", orderId: null });
    expect((await orderOf(orderId)).refunds).toEqual([]);
  });

  it("when a payment was rejected (expired order), then the order keeps its payment intent and a refund of it is matched", async () => {
    const { orderId, sessionId } = await checkoutOne(t, buyer.auth, product.id);
    await t.ctx.prisma.order.update({ where: { id: orderId }, data: { status: "expired" } });
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    expect((await sendEvent(t, completed)).status).toBe(200);
    expect(await ledgerRow(completed.id)).toMatchObject({ outcome: "rejected" });
    expect(await orderOf(orderId)).toMatchObject({ status: "expired", stripePaymentIntentId: paymentIntentOf(sessionId) });

    const refunded = await refundAtStripe(paymentIntentOf(sessionId), 1000);
    expect((await sendEvent(t, refunded)).status).toBe(200);
    expect(await ledgerRow(refunded.id)).toMatchObject({ outcome: "processed", orderId });
    const order = await orderOf(orderId);
    expect(order.status).toBe("expired");
    expect(order.refunds).toMatchObject([{ amount: 1000, status: "succeeded" }]);
  });
});

/** The API answers with our refund row's id; the stand-in knows the refund by Stripe's. */
const stripeRefundIdOf = async (refundId: string): Promise<string> =>
  (await t.ctx.prisma.refund.findUniqueOrThrow({ where: { id: refundId } })).stripeRefundId!;

describe("refund.updated and refund.failed", () => {
  it("when they are subscribed to, then the handled types include them", () => {
    expect(HANDLED_EVENT_TYPES).toEqual(expect.arrayContaining(["charge.refunded", "charge.refund.updated", "refund.updated", "refund.failed"]));
  });

  it("when refund.updated reports a pending refund succeeded, then the row is settled and the sum counts it", async () => {
    const { orderId } = await paidOrder();
    t.stripe.holdNextRefund();
    const res = await refund(orderId, { amount: 400 });
    expect(res.body.refund.status).toBe("pending");
    const updated = eventOf(await t.stripe.settleRefund(await stripeRefundIdOf(res.body.refund.id)), "refund.updated");
    expect((await sendEvent(t, updated)).status).toBe(200);
    expect(await ledgerRow(updated.id)).toMatchObject({ outcome: "processed", orderId });
    const order = await orderOf(orderId);
    expect(order.refunds).toMatchObject([{ status: "succeeded", amount: 400 }]);
    expect(order).toMatchObject({ status: "partially_refunded", refundedAmount: 400 });
  });

  it("when a charge.refunded is redelivered 20 times in parallel, then the refund counts once", async () => {
    const { orderId, sessionId } = await paidOrder();
    const refunded = await refundAtStripe(paymentIntentOf(sessionId), 250);

    const answers = await Promise.all(Array.from({ length: 20 }, () => sendEvent(t, refunded)));

    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(await countEvents(t.ctx, { stripeEventId: refunded.id })).toBe(1);
    expect(await ledgerRow(refunded.id)).toMatchObject({ outcome: "processed", orderId });
    const order = await orderOf(orderId);
    expect(order.refunds).toHaveLength(1);
    expect(order).toMatchObject({ status: "partially_refunded", refundedAmount: 250 });
  });

  it("when refund.failed reports a succeeded refund failed, then it is failed, the sum drops, and a stale success cannot revive it", async () => {
    const { orderId } = await paidOrder();
    const res = await refund(orderId, { amount: 600 });
    expect(await orderOf(orderId)).toMatchObject({ refundedAmount: 600 });
    const events = await t.stripe.failRefund(await stripeRefundIdOf(res.body.refund.id));
    const failed = eventOf(events, "refund.failed");
    expect((await sendEvent(t, failed)).status).toBe(200);
    expect(await orderOf(orderId)).toMatchObject({ status: "paid", refundedAmount: 0, refunds: [{ status: "failed" }] });

    const stale = t.stripe.createEvent("refund.updated", { ...(failed.data.object as object), status: "succeeded" });
    expect((await sendEvent(t, stale)).status).toBe(200);
    expect(await orderOf(orderId)).toMatchObject({ status: "paid", refundedAmount: 0, refunds: [{ status: "failed" }] });
  });
});

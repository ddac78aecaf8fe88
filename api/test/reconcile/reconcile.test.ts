import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { reconcile } from "../../src/reconcile/reconcile-service.js";
import { checkoutOne, countEvents, createBuyer, createProduct, eventOf, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "reconcile" });
  product = await createProduct(t.ctx, { unitAmount: 3000 });
});
afterAll(() => t.close());

const statusOf = async (id: string) => (await t.ctx.prisma.order.findUniqueOrThrow({ where: { id } })).status;

describe("reconcile", () => {
  it("when events were never delivered, then it applies them oldest first, and a second run changes nothing", async () => {
    const { auth } = await createBuyer(t.ctx);
    const paid = await checkoutOne(t, auth, product.id);
    const delayed = await checkoutOne(t, auth, product.id);
    const delivered = await checkoutOne(t, auth, product.id);
    await t.stripe.completeSession(paid.sessionId, "paid");
    t.clock.advance(1000);
    await t.stripe.completeSession(delayed.sessionId, "delayed");
    t.clock.advance(1000);
    await t.stripe.settleDelayed(delayed.sessionId, "succeeded");
    const deliveredEvent = eventOf(await t.stripe.completeSession(delivered.sessionId, "paid"), "checkout.session.completed");
    expect((await sendEvent(t, deliveredEvent)).status).toBe(200);

    const first = await reconcile(t.ctx);

    expect(first).toMatchObject({ applied: 3, alreadyPresent: 1, rejected: 0 });
    expect(await statusOf(paid.orderId)).toBe("paid");
    expect(await statusOf(delayed.orderId)).toBe("paid");
    expect(await statusOf(delivered.orderId)).toBe("paid");
    // completed (processing) then async success (paid): both recorded as processed, in order
    const ledger = await t.ctx.prisma.paymentEvent.findMany({ where: { orderId: delayed.orderId }, orderBy: { createdAt: "asc" } });
    expect(ledger.map((e) => [e.type, e.outcome])).toEqual([
      ["checkout.session.completed", "processed"],
      ["checkout.session.async_payment_succeeded", "processed"],
    ]);
    const rowsAfterFirst = await countEvents(t.ctx);

    const second = await reconcile(t.ctx);
    expect(second).toMatchObject({ applied: 0, alreadyPresent: first.fetched, ignored: 0 });
    expect(await countEvents(t.ctx)).toBe(rowsAfterFirst);
  });

  it("when it runs while the same events arrive by webhook, then each is applied once", async () => {
    const { auth } = await createBuyer(t.ctx);
    const orders = await Promise.all(Array.from({ length: 5 }, () => checkoutOne(t, auth, product.id)));
    const events = [];
    for (const o of orders) events.push(eventOf(await t.stripe.completeSession(o.sessionId, "paid"), "checkout.session.completed"));

    const [summary] = await Promise.all([reconcile(t.ctx), ...events.map((e) => sendEvent(t, e)), ...events.map((e) => sendEvent(t, e))]);

    expect(summary.applied + summary.alreadyPresent).toBeGreaterThanOrEqual(5);
    for (const o of orders) {
      expect(await statusOf(o.orderId)).toBe("paid");
      expect(await countEvents(t.ctx, { orderId: o.orderId })).toBe(1);
    }
  });

  it("when events are older than the window, then they are not fetched", async () => {
    const { auth } = await createBuyer(t.ctx);
    const old = await checkoutOne(t, auth, product.id);
    await t.stripe.completeSession(old.sessionId, "paid");
    t.clock.advance(4 * 24 * 3600 * 1000);
    const summary = await reconcile(t.ctx);
    expect(summary.fetched).toBe(0);
    expect(await statusOf(old.orderId)).toBe("pending");
  });

  it("when refund events were never delivered, then it fetches and applies them too (refund.updated included)", async () => {
    const { auth } = await createBuyer(t.ctx);
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    expect((await sendEvent(t, completed)).status).toBe(200);
    const { stripePaymentIntentId } = await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    t.stripe.holdNextRefund();
    t.clock.advance(1000);
    const refund = await t.ctx.stripe.refunds.create({ payment_intent: stripePaymentIntentId!, amount: 1000 });
    t.clock.advance(1000);
    await t.stripe.settleRefund(refund.id);

    await reconcile(t.ctx);

    const ledger = await t.ctx.prisma.paymentEvent.findMany({ where: { orderId }, orderBy: { createdAt: "asc" } });
    expect(ledger.map((e) => e.type)).toEqual(expect.arrayContaining(["charge.refunded", "charge.refund.updated", "refund.updated"]));
    expect(ledger.every((e) => e.outcome === "processed")).toBe(true);
    const order = await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId }, include: { refunds: true } });
    expect(order).toMatchObject({ status: "partially_refunded", refundedAmount: 1000, refunds: [{ stripeRefundId: refund.id, status: "succeeded" }] });
  });
});

import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionParams, startHarness, startReceiver, WEBHOOK_SECRET, type Harness } from "./fixtures.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** A paid session of 45.48 EUR; its PaymentIntent id. */
async function paidPaymentIntent(): Promise<string> {
  const session = await h.stripe.checkout.sessions.create(sessionParams());
  await h.standIn.completeSession(session.id, "paid");
  return h.standIn.sessions.get(session.id)!.payment_intent as string;
}

type ChargeWithRefunds = { amount_refunded: number; refunded: boolean; refunds?: unknown };
const lastChargeRefunded = () => h.standIn.events.filter((e) => e.type === "charge.refunded").at(-1)!.data.object as ChargeWithRefunds;

describe("POST /v1/refunds", () => {
  it("when part and then the rest is refunded, then charge.refunded reports the running amount and its refunds", async () => {
    const paymentIntent = await paidPaymentIntent();

    const part = await h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 1000 }, { idempotencyKey: "refund-1" });
    expect(part).toMatchObject({ object: "refund", amount: 1000, status: "succeeded", payment_intent: paymentIntent, currency: "eur" });
    expect(lastChargeRefunded()).toMatchObject({ amount_refunded: 1000, refunded: false });

    const rest = await h.stripe.refunds.create({ payment_intent: paymentIntent });
    expect(rest.amount).toBe(4548 - 1000);
    expect(lastChargeRefunded()).toMatchObject({ amount_refunded: 4548, refunded: true });
    // As at Stripe's current API versions, the charge does not embed its refunds: they are listed.
    expect(lastChargeRefunded().refunds).toBeUndefined();
    const listed = await h.stripe.refunds.list({ payment_intent: paymentIntent, limit: 1 });
    expect(listed.data.map((r) => r.id)).toEqual([rest.id]);
    expect(listed.has_more).toBe(true);
    const all = await h.stripe.refunds.list({ payment_intent: paymentIntent }).autoPagingToArray({ limit: 10 });
    expect(all.map((r) => r.id)).toEqual([rest.id, part.id]);
    await expect(h.stripe.refunds.retrieve(part.id)).resolves.toMatchObject({ id: part.id, amount: 1000 });
  });

  it("when a refund exceeds the refundable rest, then Stripe's 400 comes back and nothing changes", async () => {
    const paymentIntent = await paidPaymentIntent();
    await h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 4000 });
    const refundsBefore = h.standIn.refunds.size;

    const err = await h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 549 }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 400, param: "amount", message: "Refund amount (€5.49) is greater than unrefunded amount on charge (€5.48)" });
    expect(h.standIn.refunds.size).toBe(refundsBefore);
  });

  it("when the charge is fully refunded, then a further refund is charge_already_refunded", async () => {
    const paymentIntent = await paidPaymentIntent();
    await h.stripe.refunds.create({ payment_intent: paymentIntent });
    await expect(h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 1 })).rejects.toMatchObject({ statusCode: 400, code: "charge_already_refunded" });
  });

  it("when the PaymentIntent is unknown or unpaid, then the refund is refused", async () => {
    await expect(h.stripe.refunds.create({ payment_intent: "pi_unknown" })).rejects.toMatchObject({ statusCode: 404, code: "resource_missing" });
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await h.standIn.completeSession(session.id, "delayed");
    const processing = h.standIn.sessions.get(session.id)!.payment_intent as string;
    await expect(h.stripe.refunds.create({ payment_intent: processing })).rejects.toMatchObject({ statusCode: 400, code: "charge_not_refundable" });
  });

  it("when a held refund later fails, then it is pending first, then charge.refund.updated reports it failed and the amount is refundable again", async () => {
    const paymentIntent = await paidPaymentIntent();
    h.standIn.holdNextRefund();

    const refund = await h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 2000 });
    expect(refund.status).toBe("pending");
    const events = await h.standIn.failRefund(refund.id);

    expect(events.map((e) => e.type)).toEqual(["charge.refund.updated", "refund.updated", "refund.failed"]);
    expect(events[0]!.data).toMatchObject({ object: { id: refund.id, status: "failed", failure_reason: "expired_or_canceled_card" }, previous_attributes: { status: "pending" } });
    const again = await h.stripe.refunds.create({ payment_intent: paymentIntent });
    expect(again.amount).toBe(4548);
  });

  it("when a held refund settles, then charge.refund.updated reports it succeeded", async () => {
    const paymentIntent = await paidPaymentIntent();
    h.standIn.holdNextRefund();
    const refund = await h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 100 });

    const events = await h.standIn.settleRefund(refund.id);

    expect(events[0]).toMatchObject({ type: "charge.refund.updated", data: { object: { id: refund.id, status: "succeeded" } } });
    await expect(h.stripe.refunds.retrieve(refund.id)).resolves.toMatchObject({ status: "succeeded" });
  });

  it("when refunds are listed by payment intent, then only that intent's come back, newest first, every page through autoPaging, with their metadata", async () => {
    const paymentIntent = await paidPaymentIntent();
    const other = await paidPaymentIntent();
    await h.stripe.refunds.create({ payment_intent: other, amount: 100 });
    const made = [];
    for (const n of [1, 2, 3]) made.push(await h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 100 * n, metadata: { refundId: `row-${n}` } }));

    const firstPage = await h.stripe.refunds.list({ payment_intent: paymentIntent, limit: 2 });
    const all = await h.stripe.refunds.list({ payment_intent: paymentIntent, limit: 2 }).autoPagingToArray({ limit: 100 });

    expect(firstPage).toMatchObject({ object: "list", has_more: true, url: "/v1/refunds" });
    expect(all.map((r) => r.id)).toEqual(made.map((r) => r.id).reverse());
    expect(all.map((r) => r.metadata?.refundId)).toEqual(["row-3", "row-2", "row-1"]);
    expect(all.every((r) => r.payment_intent === paymentIntent)).toBe(true);
  });
});

describe("refunds that settle later", () => {
  it("when a held refund succeeds or fails later, then refund.updated / refund.failed and charge.refund.updated are delivered signed", async () => {
    const receiver = await startReceiver();
    h.standIn.setWebhookUrl(receiver.url);
    try {
      const paymentIntent = await paidPaymentIntent();
      h.standIn.holdNextRefund();
      const settles = await h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 500 });
      h.standIn.holdNextRefund();
      const fails = await h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 700 });
      expect([settles.status, fails.status]).toEqual(["pending", "pending"]);
      await h.standIn.deliveriesSettled();
      receiver.received.length = 0;

      await h.standIn.settleRefund(settles.id);
      await h.standIn.failRefund(fails.id);
      await h.standIn.deliveriesSettled();

      // Signed at the stand-in's clock (days before the real one): the signature is what counts here.
      const events = receiver.received.map((r) =>
        h.stripe.webhooks.constructEvent(r.body, r.headers["stripe-signature"] as string, WEBHOOK_SECRET, 10 * 365 * 86_400),
      );
      expect(events.map((e) => [e.type, (e.data.object as Stripe.Refund).id, (e.data.object as Stripe.Refund).status])).toEqual([
        ["charge.refund.updated", settles.id, "succeeded"],
        ["refund.updated", settles.id, "succeeded"],
        ["charge.refund.updated", fails.id, "failed"],
        ["refund.updated", fails.id, "failed"],
        ["refund.failed", fails.id, "failed"],
      ]);
      const listed = await h.stripe.refunds.list({ payment_intent: paymentIntent }).autoPagingToArray({ limit: 10 });
      expect(listed.map((r) => r.status)).toEqual(["failed", "succeeded"]);
    } finally {
      h.standIn.setWebhookUrl(undefined);
      await receiver.close();
    }
  });
});

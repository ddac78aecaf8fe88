import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionParams, startHarness, type Harness } from "./fixtures.js";

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
});

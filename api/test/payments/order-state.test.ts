import { describe, expect, it } from "vitest";
import { allowedFrom, decideSessionState, statusAfterRefunds, targetForSession, type OrderSnapshot, type SessionState } from "../../src/payments/order-state.js";

const session = (over: Partial<SessionState>): SessionState => ({
  id: "cs_test_1",
  status: "open",
  payment_status: "unpaid",
  amount_total: 1000,
  currency: "eur",
  client_reference_id: null,
  ...over,
});

describe("targetForSession", () => {
  it("when the session is complete and paid, then the order is to be paid", () => {
    expect(targetForSession(session({ status: "complete", payment_status: "paid" }), "checkout.session.completed")).toBe("paid");
  });

  it("when the session is complete but unpaid (delayed method), then processing", () => {
    expect(targetForSession(session({ status: "complete", payment_status: "unpaid" }), "checkout.session.completed")).toBe("processing");
  });

  it("when the async payment failed, then failed, whatever the session says", () => {
    expect(targetForSession(session({ status: "complete", payment_status: "unpaid" }), "checkout.session.async_payment_failed")).toBe("failed");
  });

  it("when the session expired, then expired; when still open, nothing", () => {
    expect(targetForSession(session({ status: "expired" }))).toBe("expired");
    expect(targetForSession(session({ status: "open" }))).toBeUndefined();
  });
});

describe("the order state machine", () => {
  it("when a transition is attempted, then it only moves forward", () => {
    expect(allowedFrom.paid).toEqual(["pending", "processing"]);
    expect(allowedFrom.processing).toEqual(["pending"]);
    expect(allowedFrom.failed).toEqual(["pending", "processing"]);
    expect(allowedFrom.expired).toEqual(["pending"]);
  });

  it("when refunds add up, then partially_refunded and refunded follow from the sum", () => {
    expect(statusAfterRefunds("paid", 1000, 400)).toBe("partially_refunded");
    expect(statusAfterRefunds("partially_refunded", 1000, 1000)).toBe("refunded");
    expect(statusAfterRefunds("pending", 1000, 1000)).toBe("pending");
  });
});

describe("decideSessionState", () => {
  const order = (over: Partial<OrderSnapshot> = {}): OrderSnapshot => ({
    id: "00000000-0000-4000-8000-000000000001",
    status: "pending",
    amountTotal: 1000,
    currency: "eur",
    stripeCheckoutSessionId: "cs_test_1",
    stripePaymentIntentId: null,
    ...over,
  });
  const paid = session({ status: "complete", payment_status: "paid", payment_intent: "pi_1" });

  it("when a matching session is paid, then a pending or processing order moves to paid", () => {
    expect(decideSessionState(order(), paid, "checkout.session.completed")).toEqual({ outcome: "processed", to: "paid" });
    expect(decideSessionState(order({ status: "processing" }), paid)).toEqual({ outcome: "processed", to: "paid" });
    expect(decideSessionState(order({ stripeCheckoutSessionId: null }), paid)).toEqual({ outcome: "processed", to: "paid" });
  });

  it("when the order is already past the target, then ignored (never backwards)", () => {
    expect(decideSessionState(order({ status: "paid" }), paid)).toEqual({ outcome: "ignored" });
    expect(decideSessionState(order({ status: "failed" }), paid)).toEqual({ outcome: "ignored" });
    expect(decideSessionState(order({ status: "paid" }), session({ status: "expired" }))).toEqual({ outcome: "ignored" });
    expect(decideSessionState(order({ status: "paid" }), paid, "checkout.session.async_payment_failed")).toEqual({ outcome: "ignored" });
  });

  it("when the amount, currency or session contradicts the order, then rejected, keeping the payment intent only where none is stored", () => {
    for (const wrong of [{ amount_total: 999 }, { amount_total: null }, { currency: "usd" }, { id: "cs_test_other" }]) {
      expect(decideSessionState(order(), { ...paid, ...wrong })).toEqual({ outcome: "rejected", reason: "mismatch", paymentIntent: "pi_1" });
    }
    expect(decideSessionState(order({ stripePaymentIntentId: "pi_0" }), { ...paid, currency: "usd" })).toEqual({ outcome: "rejected", reason: "mismatch", paymentIntent: null });
  });

  it("when money moved for an expired order or for no order, then rejected; an unpaid session for no order is ignored", () => {
    expect(decideSessionState(order({ status: "expired" }), paid)).toEqual({ outcome: "rejected", reason: "expired_order", paymentIntent: "pi_1" });
    expect(decideSessionState(undefined, paid)).toEqual({ outcome: "rejected", reason: "no_order", paymentIntent: null });
    expect(decideSessionState(undefined, session({ status: "expired" }))).toEqual({ outcome: "ignored" });
  });

  it("when the session is open, expired or failed, then nothing, expired or failed as the states allow", () => {
    expect(decideSessionState(order(), session({ status: "open" }))).toEqual({ outcome: "ignored" });
    expect(decideSessionState(order(), session({ status: "expired" }))).toEqual({ outcome: "processed", to: "expired" });
    expect(decideSessionState(order({ status: "processing" }), session({ status: "expired" }))).toEqual({ outcome: "ignored" });
    expect(decideSessionState(order({ status: "processing" }), session({ status: "complete" }), "checkout.session.async_payment_failed")).toEqual({ outcome: "processed", to: "failed" });
  });
});

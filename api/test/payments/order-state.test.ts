import { describe, expect, it } from "vitest";
import { allowedFrom, statusAfterRefunds, targetForSession, type SessionState } from "../../src/payments/order-state.js";

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

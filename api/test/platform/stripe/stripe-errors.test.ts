import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/platform/logger.js";
import { translateStripeError } from "../../../src/platform/stripe/stripe-client.js";
import { LogCapture } from "../../helpers/logs.js";

const logs = new LogCapture();
const log = createLogger({ level: "debug" }, logs);
const raw = (statusCode: number, type = "invalid_request_error") => ({ type, statusCode, message: "stripe said no", requestId: "req_1" });

describe("translateStripeError", () => {
  it("when Stripe is unreachable, overloaded, rate-limiting or busy with the same key, then PAYMENT_PROVIDER_UNAVAILABLE", () => {
    const cases = [
      new Stripe.errors.StripeConnectionError({ message: "ECONNREFUSED" } as never),
      new Stripe.errors.StripeAPIError(raw(500, "api_error") as never),
      new Stripe.errors.StripeRateLimitError(raw(429) as never),
      new Stripe.errors.StripeIdempotencyError({ ...raw(409, "idempotency_error"), message: "in-progress request" } as never),
    ];
    for (const err of cases) expect(translateStripeError(err, log, {}).code, String(err.type)).toBe("PAYMENT_PROVIDER_UNAVAILABLE");
  });

  it("when Stripe refuses our request (4xx), then PAYMENT_PROVIDER_ERROR, logged at error level, with no Stripe detail for the client", () => {
    const error = translateStripeError(new Stripe.errors.StripeInvalidRequestError(raw(400) as never), log, { orderId: "o1" });
    expect(error.code).toBe("PAYMENT_PROVIDER_ERROR");
    expect(error.detail).not.toContain("stripe said no");
    expect(logs.find((l) => l.level === "error" && l.stripeMessage === "stripe said no" && l.orderId === "o1")).toHaveLength(1);
  });
});

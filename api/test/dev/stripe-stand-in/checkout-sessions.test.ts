import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkFor, sessionParams, startHarness, startSeconds, type Harness } from "./fixtures.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("POST /v1/checkout/sessions", () => {
  it("when the SDK creates a session with nested line items, then the stand-in decodes them and answers Stripe's shape", async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());

    const sent = h.standIn.requests.at(-1)!;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/v1/checkout/sessions");
    expect(sent.headers["authorization"]).toMatch(/^Bearer sk_test_/);
    expect(sent.headers["stripe-version"]).toBe(Stripe.API_VERSION);
    expect(sent.idempotencyKey).toMatch(/^stripe-node-retry-/);
    expect(sent.body).toMatchObject({
      mode: "payment",
      line_items: [
        { price_data: { currency: "eur", unit_amount: "1999", product_data: { name: "Espresso cup", description: "Porcelain, 80 ml" } }, quantity: "2" },
        { price_data: { currency: "eur", unit_amount: "550", product_data: { name: "Coffee beans" } }, quantity: "1" },
      ],
      metadata: { orderId: "order-123" },
      expires_at: String(startSeconds() + 3600),
    });
    expect(session).toMatchObject({
      object: "checkout.session",
      mode: "payment",
      status: "open",
      payment_status: "unpaid",
      amount_total: 2 * 1999 + 550,
      currency: "eur",
      client_reference_id: "order-123",
      metadata: { orderId: "order-123" },
      created: startSeconds(),
      expires_at: startSeconds() + 3600,
      livemode: false,
      payment_intent: null,
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`${h.standIn.url}/c/pay/${session.id}`);
    expect(h.standIn.sessions.get(session.id)?.amount_total).toBe(4548);
  });

  it("when expires_at is under 30 minutes or over 24 hours away, then Stripe's 400 names the parameter", async () => {
    for (const expiresAt of [startSeconds() + 29 * 60, startSeconds() + 24 * 3600 + 1]) {
      const err = await h.stripe.checkout.sessions.create(sessionParams({ expires_at: expiresAt })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err).toMatchObject({ statusCode: 400, param: "expires_at", type: "StripeInvalidRequestError" });
    }
  });

  it("when lines have different currencies, then the session is refused", async () => {
    const params = sessionParams({
      line_items: [
        { price_data: { currency: "eur", unit_amount: 1000, product_data: { name: "A" } }, quantity: 1 },
        { price_data: { currency: "usd", unit_amount: 1000, product_data: { name: "B" } }, quantity: 1 },
      ],
    });
    await expect(h.stripe.checkout.sessions.create(params)).rejects.toMatchObject({ statusCode: 400, param: "line_items[1][price_data][currency]" });
  });

  it("when the total is below Stripe's minimum or above eight digits, then the session is refused", async () => {
    const line = (unit_amount: number, quantity: number) => sessionParams({ line_items: [{ price_data: { currency: "eur", unit_amount, product_data: { name: "A" } }, quantity }] });
    await expect(h.stripe.checkout.sessions.create(line(49, 1))).rejects.toMatchObject({ statusCode: 400, code: "amount_too_small" });
    await expect(h.stripe.checkout.sessions.create(line(50_000_000, 2))).rejects.toMatchObject({ statusCode: 400, code: "amount_too_large" });
  });

  it("when a parameter is unknown or missing, then Stripe's parameter errors come back", async () => {
    const unknown = { ...sessionParams(), colour: "blue" } as Stripe.Checkout.SessionCreateParams;
    await expect(h.stripe.checkout.sessions.create(unknown)).rejects.toMatchObject({ statusCode: 400, code: "parameter_unknown", param: "colour" });
    const noQuantity = sessionParams({ line_items: [{ price_data: { currency: "eur", unit_amount: 100, product_data: { name: "A" } } }] });
    await expect(h.stripe.checkout.sessions.create(noQuantity)).rejects.toMatchObject({ code: "parameter_missing", param: "line_items[0][quantity]" });
  });

  it("when the API key is missing or not a test key, then 401 in Stripe's shape", async () => {
    const res = await fetch(`${h.standIn.url}/v1/checkout/sessions/cs_test_x`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", message: expect.stringContaining("did not provide an API key") } });
    await expect(sdkFor(h.standIn, 0, "sk_live_realLooking").checkout.sessions.retrieve("cs_test_x")).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});

describe("GET /v1/checkout/sessions/:id", () => {
  it("when line_items and payment_intent are expanded, then both come back as objects", async () => {
    const created = await h.stripe.checkout.sessions.create(sessionParams());
    await h.standIn.completeSession(created.id, "paid");

    const session = await h.stripe.checkout.sessions.retrieve(created.id, { expand: ["line_items", "payment_intent"] });

    expect(session.status).toBe("complete");
    expect(session.payment_status).toBe("paid");
    expect(session.line_items?.data.map((l) => [l.description, l.quantity, l.price?.unit_amount, l.amount_total])).toEqual([
      ["Espresso cup", 2, 1999, 3998],
      ["Coffee beans", 1, 550, 550],
    ]);
    const paymentIntent = session.payment_intent as Stripe.PaymentIntent;
    expect(paymentIntent).toMatchObject({ object: "payment_intent", status: "succeeded", amount: 4548, currency: "eur" });
    expect(paymentIntent.latest_charge).toMatch(/^ch_/);
  });

  it("when the session does not exist, then 404 resource_missing", async () => {
    await expect(h.stripe.checkout.sessions.retrieve("cs_test_nope")).rejects.toMatchObject({ statusCode: 404, code: "resource_missing" });
  });

  it("when its line items are listed, then they come in Stripe's list envelope", async () => {
    const created = await h.stripe.checkout.sessions.create(sessionParams());
    const items = await h.stripe.checkout.sessions.listLineItems(created.id, { limit: 1 });
    expect(items).toMatchObject({ object: "list", has_more: true, url: `/v1/checkout/sessions/${created.id}/line_items` });
    expect(items.data).toHaveLength(1);
  });
});

describe("POST /v1/checkout/sessions/:id/expire", () => {
  it("when an open session is expired, then it is expired and checkout.session.expired is recorded with the request", async () => {
    const created = await h.stripe.checkout.sessions.create(sessionParams());
    const expired = await h.stripe.checkout.sessions.expire(created.id, {}, { idempotencyKey: "expire-1" });

    expect(expired.status).toBe("expired");
    const event = h.standIn.events.at(-1)!;
    expect(event).toMatchObject({ type: "checkout.session.expired", data: { object: { id: created.id, status: "expired" } }, request: { idempotency_key: "expire-1" } });
    await expect(h.stripe.checkout.sessions.expire(created.id)).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe("GET /v1/payment_intents/:id", () => {
  it("when a paid session's PaymentIntent is retrieved, then it links its charge", async () => {
    const created = await h.stripe.checkout.sessions.create(sessionParams());
    await h.standIn.completeSession(created.id);
    const id = h.standIn.sessions.get(created.id)!.payment_intent as string;

    const paymentIntent = await h.stripe.paymentIntents.retrieve(id);

    expect(paymentIntent).toMatchObject({ id, status: "succeeded", amount_received: 4548 });
    expect(h.standIn.charges.get(paymentIntent.latest_charge as string)).toMatchObject({ paid: true, amount: 4548, payment_intent: id });
  });
});

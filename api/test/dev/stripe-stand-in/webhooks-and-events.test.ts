import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sessionParams, startHarness, startReceiver, WEBHOOK_SECRET, type Harness, type Receiver } from "./fixtures.js";

let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startHarness();
  receiver = await startReceiver();
});
afterEach(() => {
  h.standIn.setWebhookUrl(undefined);
  receiver.received.length = 0;
  receiver.status = 200;
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

const nowSeconds = () => Math.floor(h.clock.now().getTime() / 1000);
const params = (overrides: Partial<Stripe.Checkout.SessionCreateParams> = {}) => sessionParams(overrides, nowSeconds());
// constructEvent's `receivedAt` is in milliseconds.
const verify = (body: string, signature: string) => Stripe.webhooks.constructEvent(body, signature, WEBHOOK_SECRET, 300, undefined, h.clock.now().getTime());
const receivedTypes = () => receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type);

describe("event delivery", () => {
  it("when a session is paid with a webhook URL set, then Stripe's events arrive in order and each signature verifies", async () => {
    h.standIn.setWebhookUrl(receiver.url);
    const session = await h.stripe.checkout.sessions.create(params());

    const events = await h.standIn.completeSession(session.id, "paid");

    expect(events.map((e) => e.type)).toEqual(["payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"]);
    expect(receivedTypes()).toEqual(events.map((e) => e.type));
    for (const delivery of receiver.received) {
      const event = verify(delivery.body, delivery.headers["stripe-signature"] as string);
      expect(event.api_version).toBe(Stripe.API_VERSION);
    }
    const completed = verify(receiver.received[3]!.body, receiver.received[3]!.headers["stripe-signature"] as string) as Stripe.CheckoutSessionCompletedEvent;
    expect(completed.data.object).toMatchObject({ id: session.id, status: "complete", payment_status: "paid", client_reference_id: "order-123", amount_total: 4548 });
    expect(completed.data.object.payment_intent).toBe(h.standIn.sessions.get(session.id)!.payment_intent);
  });

  it("when a delayed payment completes and later fails, then completed (unpaid) precedes async_payment_failed", async () => {
    h.standIn.setWebhookUrl(receiver.url);
    const session = await h.stripe.checkout.sessions.create(params());

    const completed = await h.standIn.completeSession(session.id, "delayed");
    const failed = await h.standIn.settleDelayed(session.id, "failed");

    expect(completed.at(-1)).toMatchObject({ type: "checkout.session.completed", data: { object: { status: "complete", payment_status: "unpaid" } } });
    expect(failed.map((e) => e.type)).toEqual(["charge.failed", "payment_intent.payment_failed", "checkout.session.async_payment_failed"]);
    expect(receivedTypes().at(-1)).toBe("checkout.session.async_payment_failed");
    expect(h.standIn.sessions.get(session.id)!.payment_status).toBe("unpaid");
  });

  it("when a delayed payment succeeds, then async_payment_succeeded carries payment_status paid", async () => {
    const session = await h.stripe.checkout.sessions.create(params());
    await h.standIn.completeSession(session.id, "delayed");

    const events = await h.standIn.settleDelayed(session.id, "succeeded");

    expect(events.at(-1)).toMatchObject({ type: "checkout.session.async_payment_succeeded", data: { object: { payment_status: "paid" } } });
    await expect(h.standIn.settleDelayed(session.id, "succeeded")).rejects.toThrow(/no delayed payment/);
  });

  it("when no webhook URL is set, then events are recorded but not sent", async () => {
    const session = await h.stripe.checkout.sessions.create(params());
    const events = await h.standIn.expireSession(session.id);

    expect(h.standIn.events.at(-1)!.id).toBe(events[0]!.id);
    expect(receiver.received).toHaveLength(0);
  });

  it("when an event is redelivered, then the receiver gets the same event id again with a fresh valid signature", async () => {
    const event = h.standIn.createEvent("checkout.session.expired", { id: "cs_test_manual", object: "checkout.session", status: "expired" });

    const first = await h.standIn.deliver(event, receiver.url);
    receiver.status = 500;
    const second = await h.standIn.deliver(event, receiver.url);

    expect([first.status, second.status]).toEqual([200, 500]);
    const ids = receiver.received.map((r) => verify(r.body, r.headers["stripe-signature"] as string).id);
    expect(ids).toEqual([event.id, event.id]);
    expect(h.standIn.deliveries.slice(-2).map((d) => d.status)).toEqual([200, 500]);
  });

  it("when signedDelivery uses another secret or an old timestamp, then constructEvent refuses it", () => {
    const event = h.standIn.createEvent("charge.refunded", { id: "ch_manual", object: "charge" });
    const wrong = h.standIn.signedDelivery(event, { secret: "whsec_someoneElse" });
    const stale = h.standIn.signedDelivery(event, { timestamp: nowSeconds() - 301 });
    const good = h.standIn.signedDelivery(event);

    expect(() => verify(wrong.body, wrong.headers["stripe-signature"]!)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => verify(stale.body, stale.headers["stripe-signature"]!)).toThrow(/tolerance/);
    expect(verify(good.body, good.headers["stripe-signature"]!).id).toBe(event.id);
  });

  it("when the receiver is down, then the delivery is recorded with status 0 and the flow still resolves", async () => {
    h.standIn.setWebhookUrl("http://127.0.0.1:1/webhooks/stripe");
    const session = await h.stripe.checkout.sessions.create(params());

    const events = await h.standIn.expireSession(session.id);

    expect(h.standIn.deliveries.at(-1)).toMatchObject({ eventId: events[0]!.id, status: 0 });
  });

  it("when sessions pass their expires_at on the clock, then sweepExpired expires exactly those", async () => {
    const soon = await h.stripe.checkout.sessions.create(params({ expires_at: nowSeconds() + 31 * 60 }));
    const later = await h.stripe.checkout.sessions.create(params({ expires_at: nowSeconds() + 3 * 3600 }));
    h.clock.advance(31 * 60 * 1000);

    const events = await h.standIn.sweepExpired();

    expect(events.map((e) => (e.data.object as { id: string }).id)).toEqual([soon.id]);
    expect(h.standIn.sessions.get(later.id)!.status).toBe("open");
  });
});

describe("GET /v1/events", () => {
  it("when listed with created[gte] and types[], then only matching events come, newest first, with pagination", async () => {
    h.clock.advance(24 * 3600 * 1000);
    const since = nowSeconds();
    const a = await h.stripe.checkout.sessions.create(params());
    const b = await h.stripe.checkout.sessions.create(params());
    await h.standIn.completeSession(a.id);
    h.clock.advance(1000);
    await h.standIn.expireSession(b.id);

    const page1 = await h.stripe.events.list({ created: { gte: since }, types: ["checkout.session.completed", "checkout.session.expired"], limit: 1 });
    const page2 = await h.stripe.events.list({ created: { gte: since }, types: ["checkout.session.completed", "checkout.session.expired"], limit: 1, starting_after: page1.data[0]!.id });

    expect(page1.data.map((e) => e.type)).toEqual(["checkout.session.expired"]);
    expect(page1.has_more).toBe(true);
    expect(page2.data.map((e) => e.type)).toEqual(["checkout.session.completed"]);
    expect(page2.has_more).toBe(false);
    const wildcard = await h.stripe.events.list({ created: { gte: since }, type: "payment_intent.*" });
    expect(wildcard.data.map((e) => e.type)).toEqual(["payment_intent.succeeded", "payment_intent.created"]);
    const all: string[] = [];
    for await (const event of h.stripe.events.list({ created: { gte: since }, limit: 2 })) all.push(event.id);
    expect(all).toEqual(h.standIn.events.filter((e) => e.created >= since).map((e) => e.id).reverse());
  });

  it("when one event is retrieved, then it is the recorded one; an unknown id is 404", async () => {
    const event = h.standIn.events.at(-1)!;
    await expect(h.stripe.events.retrieve(event.id)).resolves.toMatchObject({ id: event.id, type: event.type });
    await expect(h.stripe.events.retrieve("evt_nope")).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe("webhook endpoints", () => {
  it("when an endpoint is created, listed and updated, then its secret is shown only on creation", async () => {
    const created = await h.stripe.webhookEndpoints.create({ url: "http://api.test/webhooks/stripe", enabled_events: ["checkout.session.completed"], api_version: Stripe.API_VERSION as Stripe.WebhookEndpointCreateParams.ApiVersion });
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.api_version).toBe(Stripe.API_VERSION);

    const listed = await h.stripe.webhookEndpoints.list();
    const updated = await h.stripe.webhookEndpoints.update(created.id, { url: "http://api2.test/webhooks/stripe", enabled_events: ["checkout.session.completed", "charge.refunded"] });

    expect(listed.data.find((e) => e.id === created.id)?.secret).toBeUndefined();
    expect(updated).toMatchObject({ id: created.id, url: "http://api2.test/webhooks/stripe", enabled_events: ["checkout.session.completed", "charge.refunded"], api_version: Stripe.API_VERSION });
    expect(updated.secret).toBeUndefined();
  });

  it("when an update tries to change the API version, then Stripe's unknown-parameter error comes back", async () => {
    const created = await h.stripe.webhookEndpoints.create({ url: "http://api.test/w", enabled_events: ["*"] });
    const params = { api_version: "2020-08-27" } as Stripe.WebhookEndpointUpdateParams;
    await expect(h.stripe.webhookEndpoints.update(created.id, params)).rejects.toMatchObject({ statusCode: 400, code: "parameter_unknown", param: "api_version" });
  });
});

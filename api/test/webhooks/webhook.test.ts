import request from "supertest";
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { checkoutOne, eventOf, countEvents, createBuyer, createProduct, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;
let auth: string;

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "webhook" });
  product = await createProduct(t.ctx, { unitAmount: 4200, currency: "eur" });
  auth = (await createBuyer(t.ctx)).auth;
});
afterAll(() => t.close());

const orderOf = (id: string) => t.ctx.prisma.order.findUniqueOrThrow({ where: { id } });
const sessionOf = (id: string) => t.stripe.sessions.get(id)! as unknown as Stripe.Checkout.Session;
const eventLike = (type: string, session: object) => t.stripe.createEvent(type, session);

describe("POST /webhooks/stripe — signatures", () => {
  it("when the signature is missing, wrong or stale, then 400 INVALID_SIGNATURE and nothing is written", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    const delivery = t.stripe.signedDelivery(completed, { timestamp: Math.floor(t.clock.now().getTime() / 1000) });

    const missing = await request(t.app).post("/webhooks/stripe").set("Content-Type", "application/json").send(delivery.body);
    const wrong = await sendEvent(t, completed, { secret: "whsec_someoneElsesSecret" });
    const stale = await sendEvent(t, completed, { timestamp: Math.floor(t.clock.now().getTime() / 1000) - 301 });
    const future = await sendEvent(t, completed, { timestamp: Math.floor(t.clock.now().getTime() / 1000) + 3600 });
    const tampered = await request(t.app).post("/webhooks/stripe").set(delivery.headers).send(delivery.body.replace("4200", "1"));

    for (const res of [missing, wrong, stale, future, tampered]) {
      expect(res.status).toBe(400);
      expect(res.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe("INVALID_SIGNATURE");
    }
    expect(await countEvents(t.ctx, { stripeEventId: completed.id })).toBe(0);
    expect((await orderOf(orderId)).status).toBe("pending");
  });

  it("when the signature is 299 s old, then it is still accepted", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    const res = await sendEvent(t, completed, { timestamp: Math.floor(t.clock.now().getTime() / 1000) - 299 });
    expect(res.status).toBe(200);
    expect((await orderOf(orderId)).status).toBe("paid");
  });
});

describe("POST /webhooks/stripe — fulfilment", () => {
  it("when checkout.session.completed arrives paid, then the order is paid with its payment intent, in one ledger row", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");

    const res = await sendEvent(t, completed);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true });
    const order = await orderOf(orderId);
    expect(order.status).toBe("paid");
    expect(order.paidAt).not.toBeNull();
    expect(order.stripePaymentIntentId).toBe(sessionOf(sessionId).payment_intent);
    const rows = await t.ctx.prisma.paymentEvent.findMany({ where: { orderId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stripeEventId: completed.id, type: "checkout.session.completed", outcome: "processed" });
    expect((rows[0]!.payload as { id: string }).id).toBe(completed.id);
    const line = t.logs.find((l) => l.msg === "webhook event" && l.eventId === completed.id);
    expect(line).toHaveLength(1);
    expect(line[0]).toMatchObject({ type: "checkout.session.completed", orderId, outcome: "processed", from: "pending", to: "paid", requestId: expect.any(String) });
    // One line per delivery: the request's own line carries the event.
    expect(line[0]).toMatchObject({ level: "info", req: { method: "POST", url: "/webhooks/stripe" }, res: { statusCode: 200 } });
    expect(t.logs.find((l) => l.requestId === line[0]!.requestId)).toHaveLength(1);
  });

  it("when the same event is delivered 40 times in parallel, then one ledger row and one transition", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    const transitionsBefore = t.logs.find((l) => l.msg === "webhook event" && l.orderId === orderId && l.outcome === "processed").length;

    const answers = await Promise.all(Array.from({ length: 40 }, () => sendEvent(t, completed)));

    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(await countEvents(t.ctx, { stripeEventId: completed.id })).toBe(1);
    expect((await orderOf(orderId)).status).toBe("paid");
    const outcomes = t.logs.find((l) => l.msg === "webhook event" && l.eventId === completed.id).map((l) => l.outcome);
    expect(outcomes.filter((o) => o === "processed")).toHaveLength(1 + transitionsBefore);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(39);
    // The first delivery's row keeps what it recorded.
    expect(await t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: completed.id } })).toMatchObject({ outcome: "processed", orderId });
  });

  it("when a rejected or ignored event is redelivered in parallel, then its first row keeps its outcome and the order does not move", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const wrongAmount = eventLike("checkout.session.completed", { ...sessionOf(sessionId), status: "complete", payment_status: "paid", amount_total: 1 });
    expect((await sendEvent(t, wrongAmount)).status).toBe(200);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    const open = eventLike("checkout.session.completed", { ...sessionOf(sessionId), status: "open", payment_status: "unpaid" });
    expect((await sendEvent(t, open)).status).toBe(200);
    expect((await sendEvent(t, completed)).status).toBe(200);

    const answers = await Promise.all([...Array.from({ length: 20 }, () => sendEvent(t, wrongAmount)), ...Array.from({ length: 20 }, () => sendEvent(t, open))]);

    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(await t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: wrongAmount.id } })).toMatchObject({ outcome: "rejected" });
    expect(await t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: open.id } })).toMatchObject({ outcome: "ignored" });
    expect(await countEvents(t.ctx, { orderId })).toBe(3);
    expect((await orderOf(orderId)).status).toBe("paid");
  });

  it("when 30 distinct events for one order arrive in parallel, then each is recorded once, the order moves once, and none fails", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    // The same session under 29 more event ids: every event but the first finds the order
    // paid already, and many of them meet on the order row at the same moment.
    const events = [completed, ...Array.from({ length: 29 }, () => eventLike("checkout.session.completed", completed.data.object))];

    const answers = await Promise.all(events.map((event) => sendEvent(t, event)));

    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
    const rows = await t.ctx.prisma.paymentEvent.findMany({ where: { orderId } });
    expect(rows).toHaveLength(30);
    expect(rows.filter((r) => r.outcome === "processed")).toHaveLength(1);
    expect(rows.filter((r) => r.outcome === "ignored")).toHaveLength(29);
    expect((await orderOf(orderId)).status).toBe("paid");
  });

  it("when a delayed payment completes then succeeds, then pending → processing → paid", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "delayed"), "checkout.session.completed");
    expect((await sendEvent(t, completed)).status).toBe(200);
    expect((await orderOf(orderId)).status).toBe("processing");
    const succeeded = eventOf(await t.stripe.settleDelayed(sessionId, "succeeded"), "checkout.session.async_payment_succeeded");
    expect((await sendEvent(t, succeeded)).status).toBe(200);
    const order = await orderOf(orderId);
    expect(order.status).toBe("paid");
    expect(order.stripePaymentIntentId).toMatch(/^pi_/);
    // Each delivery's line names the state the order really moved from.
    const moves = (eventId: string) => t.logs.find((l) => l.msg === "webhook event" && l.eventId === eventId).map((l) => [l.from, l.to]);
    expect(moves(completed.id)).toEqual([["pending", "processing"]]);
    expect(moves(succeeded.id)).toEqual([["processing", "paid"]]);
  });

  it("when a delayed payment completes then fails, then pending → processing → failed", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "delayed"), "checkout.session.completed");
    await sendEvent(t, completed);
    const failed = eventOf(await t.stripe.settleDelayed(sessionId, "failed"), "checkout.session.async_payment_failed");
    expect((await sendEvent(t, failed)).status).toBe(200);
    expect((await orderOf(orderId)).status).toBe("failed");
  });

  it("when async success arrives before completed, then paid, and the late completed changes nothing", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "delayed"), "checkout.session.completed");
    const succeeded = eventOf(await t.stripe.settleDelayed(sessionId, "succeeded"), "checkout.session.async_payment_succeeded");
    await sendEvent(t, succeeded);
    await sendEvent(t, completed);
    expect((await orderOf(orderId)).status).toBe("paid");
    const outcomes = await t.ctx.prisma.paymentEvent.findMany({ where: { orderId }, orderBy: { createdAt: "asc" } });
    expect(outcomes.map((e) => [e.type, e.outcome])).toEqual([
      ["checkout.session.async_payment_succeeded", "processed"],
      ["checkout.session.completed", "ignored"],
    ]);
  });

  it("when async failure arrives before completed, then failed, and the late completed cannot revive it", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "delayed"), "checkout.session.completed");
    const failed = eventOf(await t.stripe.settleDelayed(sessionId, "failed"), "checkout.session.async_payment_failed");
    await sendEvent(t, failed);
    await sendEvent(t, completed);
    expect((await orderOf(orderId)).status).toBe("failed");
  });

  it("when expired arrives after paid, then the order stays paid and the event is recorded as ignored", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    await sendEvent(t, completed);
    const expired = eventLike("checkout.session.expired", { ...sessionOf(sessionId), status: "expired" });
    expect((await sendEvent(t, expired)).status).toBe(200);
    expect((await orderOf(orderId)).status).toBe("paid");
    expect((await t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: expired.id } })).outcome).toBe("ignored");
  });

  it("when the session expires unpaid, then the order is expired", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const expired = eventOf(await t.stripe.expireSession(sessionId), "checkout.session.expired");
    await sendEvent(t, expired);
    expect((await orderOf(orderId)).status).toBe("expired");
  });

  it("when the amount or currency differs from the order, then it is not paid, recorded rejected and logged at error level", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const session = sessionOf(sessionId);
    for (const wrong of [{ amount_total: 1 }, { currency: "usd" }]) {
      const event = eventLike("checkout.session.completed", { ...session, status: "complete", payment_status: "paid", ...wrong });
      const res = await sendEvent(t, event);
      expect(res.status).toBe(200);
      expect((await t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: event.id } })).outcome).toBe("rejected");
      expect(t.logs.find((l) => l.level === "error" && l.eventId === event.id)).toHaveLength(1);
    }
    expect((await orderOf(orderId)).status).toBe("pending");
  });

  it("when a payment arrives for an expired order, then it is rejected and logged for an operator", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    await t.ctx.prisma.order.update({ where: { id: orderId }, data: { status: "expired" } });
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    await sendEvent(t, completed);
    expect((await orderOf(orderId)).status).toBe("expired");
    expect((await t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: completed.id } })).outcome).toBe("rejected");
  });

  it("when a paid session matches no order of ours, then it is rejected and logged at error level", async () => {
    const { sessionId } = await checkoutOne(t, auth, product.id);
    const stray = eventLike("checkout.session.completed", {
      ...sessionOf(sessionId),
      id: "cs_test_not_ours",
      status: "complete",
      payment_status: "paid",
      client_reference_id: "00000000-0000-4000-8000-00000000dead",
      metadata: {},
    });
    expect((await sendEvent(t, stray)).status).toBe(200);
    const row = await t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: stray.id } });
    expect(row).toMatchObject({ outcome: "rejected", orderId: null });
    expect(t.logs.find((l) => l.level === "error" && l.eventId === stray.id)).toHaveLength(1);
  });

  it("when a session carries no amount, then it is not taken as matching", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const event = eventLike("checkout.session.completed", { ...sessionOf(sessionId), status: "complete", payment_status: "paid", amount_total: null });
    await sendEvent(t, event);
    expect((await orderOf(orderId)).status).toBe("pending");
    expect((await t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: event.id } })).outcome).toBe("rejected");
  });

  it("when an event type is not handled, then 200 and it is recorded as ignored", async () => {
    const event = eventLike("customer.created", { id: "cus_123", object: "customer" });
    const res = await sendEvent(t, event);
    expect(res.status).toBe(200);
    expect((await t.ctx.prisma.paymentEvent.findUniqueOrThrow({ where: { stripeEventId: event.id } })).outcome).toBe("ignored");
  });

  it("when an unhandled event is delivered 20 times in parallel, then every delivery gets 200 and one row is recorded", async () => {
    const event = eventLike("customer.updated", { id: "cus_parallel", object: "customer" });

    const answers = await Promise.all(Array.from({ length: 20 }, () => sendEvent(t, event)));

    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(await countEvents(t.ctx, { stripeEventId: event.id })).toBe(1);
    const outcomes = t.logs.find((l) => l.msg === "webhook event" && l.eventId === event.id).map((l) => l.outcome);
    expect(outcomes.filter((o) => o === "ignored")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(19);
  });

  it("when the database fails inside processing, then 500, nothing is written, and redelivery applies it once", async () => {
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    await t.ctx.prisma.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION fail_order_update() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'simulated failure while moving the order'; END $$ LANGUAGE plpgsql`);
    await t.ctx.prisma.$executeRawUnsafe(`CREATE TRIGGER fail_order_update BEFORE UPDATE ON "Order" FOR EACH ROW EXECUTE FUNCTION fail_order_update()`);
    try {
      const failed = await sendEvent(t, completed);
      expect(failed.status).toBe(500);
      expect(failed.body.code).toBe("INTERNAL");
      expect(JSON.stringify(failed.body)).not.toMatch(/simulated|Order|UPDATE/);
      expect(await countEvents(t.ctx, { stripeEventId: completed.id })).toBe(0);
      expect((await orderOf(orderId)).status).toBe("pending");
    } finally {
      await t.ctx.prisma.$executeRawUnsafe(`DROP TRIGGER fail_order_update ON "Order"`);
    }
    const redelivered = await Promise.all([sendEvent(t, completed), sendEvent(t, completed)]);
    expect(redelivered.map((r) => r.status)).toEqual([200, 200]);
    expect(await countEvents(t.ctx, { stripeEventId: completed.id })).toBe(1);
    expect((await orderOf(orderId)).status).toBe("paid");
  });

  it("when the body is over 1 MB, then 413", async () => {
    const res = await request(t.app).post("/webhooks/stripe").set("Stripe-Signature", "t=1,v1=00").set("Content-Type", "application/json").send("x".repeat(1024 * 1024 + 10));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe("PAYLOAD_TOO_LARGE");
  });
});

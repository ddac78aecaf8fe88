import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { checkoutOne, createBuyer, createProduct, eventOf, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;
let buyer: Awaited<ReturnType<typeof createBuyer>>;
let admin: Awaited<ReturnType<typeof createBuyer>>;

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "admin-orders" });
  product = await createProduct(t.ctx, { unitAmount: 1000 });
  buyer = await createBuyer(t.ctx);
  admin = await createBuyer(t.ctx, "ADMIN");
});
afterAll(() => t.close());

const view = (orderId: string, auth?: string) => {
  const req = request(t.app).get(`/admin/orders/${orderId}`);
  return auth ? req.set("Authorization", auth) : req;
};

describe("GET /admin/orders/:id", () => {
  it("when an admin looks at a paid and partly refunded order, then it shows the order, its refunds with their admin, and its events", async () => {
    const { orderId, sessionId } = await checkoutOne(t, buyer.auth, product.id, 2);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    await sendEvent(t, completed);
    const refund = await request(t.app).post(`/admin/orders/${orderId}/refunds`).set("Authorization", admin.auth).send({ amount: 500 });
    expect(refund.status).toBe(201);

    const res = await view(orderId, admin.auth);

    expect(res.status).toBe(200);
    expect(res.body.order).toMatchObject({ id: orderId, status: "partially_refunded", amountTotal: 2000, refundedAmount: 500, items: [{ productId: product.id, quantity: 2 }] });
    expect(res.body.refunds).toEqual([
      { id: refund.body.refund.id, amount: 500, status: "succeeded", createdAt: expect.any(String), createdBy: admin.user.id },
    ]);
    expect(res.body.events).toEqual([{ stripeEventId: completed.id, type: "checkout.session.completed", outcome: "processed", receivedAt: expect.any(String) }]);
    expect(JSON.stringify(res.body)).not.toMatch(/payload|stripeRefundId|cs_test/);
  });

  it("when a refund was first seen through Stripe's events, then it is listed without an admin", async () => {
    const { orderId, sessionId } = await checkoutOne(t, buyer.auth, product.id);
    await sendEvent(t, eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed"));
    const { stripePaymentIntentId } = await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    const before = t.stripe.events.length;
    await request(t.stripe.url)
      .post("/v1/refunds")
      .auth("sk_test_dashboard", "")
      .type("form")
      .send({ payment_intent: stripePaymentIntentId!, amount: "300" });
    await sendEvent(t, t.stripe.events.slice(before).find((e) => e.type === "charge.refunded")!);

    const res = await view(orderId, admin.auth);

    expect(res.body.refunds).toEqual([{ id: expect.any(String), amount: 300, status: "succeeded", createdAt: expect.any(String), createdBy: null }]);
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(["checkout.session.completed", "charge.refunded"]);
  });

  it("when the caller is anonymous, a user (even the owner), or the order does not exist, then 401, 403, 404", async () => {
    const { orderId } = await checkoutOne(t, buyer.auth, product.id);
    expect((await view(orderId)).status).toBe(401);
    expect((await view(orderId, buyer.auth)).status).toBe(403);
    const missing = await view("00000000-0000-4000-8000-000000000000", admin.auth);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("NOT_FOUND");
    expect((await view("not-a-uuid", admin.auth)).status).toBe(400);
  });
});

import pg from "pg";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { runMaintenance } from "../../src/maintenance/maintenance-service.js";
import { checkoutOne, createBuyer, createProduct, eventOf, postCheckout, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "maintenance" });
  product = await createProduct(t.ctx, { unitAmount: 1000 });
});
afterAll(() => t.close());

/** One run that must not be skipped. */
const maintain = async () => {
  const summary = await runMaintenance(t.ctx);
  if (!summary) throw new Error("maintenance was skipped");
  return summary;
};

const statusOf = async (id: string) => (await t.ctx.prisma.order.findUniqueOrThrow({ where: { id } })).status;

describe("npm run maintenance", () => {
  it("when pending orders are past their session's expiry, then each is settled by what Stripe says, and a second run changes nothing", async () => {
    const { auth } = await createBuyer(t.ctx);
    const abandoned = await checkoutOne(t, auth, product.id);
    const paidLate = await checkoutOne(t, auth, product.id);
    t.stripe.injectFault({ path: "/v1/checkout/sessions", method: "POST", status: 500, times: 1 });
    const noSession = await postCheckout(t, auth, [{ productId: product.id, quantity: 1 }]);
    expect(noSession.status).toBe(502);
    const noSessionOrder = await t.ctx.prisma.order.findFirstOrThrow({ where: { stripeCheckoutSessionId: null, status: "pending" }, orderBy: { createdAt: "desc" } });
    // paid before expiry, but its webhook never arrived
    await t.stripe.completeSession(paidLate.sessionId, "paid");
    const fresh = await checkoutOne(t, auth, product.id);

    t.clock.advance(61 * 60 * 1000 + 5 * 60 * 1000 + 1000);
    await t.stripe.sweepExpired();
    const recent = await checkoutOne(t, (await createBuyer(t.ctx)).auth, product.id); // the old token expired

    const summary = await maintain();

    expect(await statusOf(abandoned.orderId)).toBe("expired");
    expect(await statusOf(paidLate.orderId)).toBe("paid");
    expect(await statusOf(noSessionOrder.id)).toBe("expired");
    expect(await statusOf(fresh.orderId)).toBe("expired");
    expect(await statusOf(recent.orderId)).toBe("pending");
    expect(summary.ordersExpired).toBeGreaterThanOrEqual(1);
    expect(summary.ordersSyncedFromStripe).toBeGreaterThanOrEqual(3);

    const again = await maintain();
    expect(again).toMatchObject({ ordersExpired: 0, ordersSyncedFromStripe: 0 });
  });

  it("when idempotency keys are older than 24 h, then they are pruned", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    expect((await postCheckout(t, auth, [{ productId: product.id, quantity: 1 }], "old-key")).status).toBe(201);
    t.clock.advance(24 * 3600 * 1000 + 1000);
    const { idempotencyKeysPruned } = await maintain();
    expect(idempotencyKeysPruned).toBeGreaterThanOrEqual(1);
    expect(await t.ctx.prisma.idempotencyKey.count({ where: { userId: user.id } })).toBe(0);
  });

  it("when ledger payloads are older than the retention, then personal data is removed and the ledger row stays", async () => {
    const { auth } = await createBuyer(t.ctx);
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    const withCustomer = { ...completed, id: `${completed.id}_pii`, data: { object: { ...completed.data.object, customer_details: { email: "jane@example.test", name: "Jane Doe" }, customer_email: "jane@example.test" } } };
    await sendEvent(t, withCustomer);
    await t.ctx.prisma.paymentEvent.updateMany({ where: { orderId }, data: { createdAt: new Date(t.clock.now().getTime() - 91 * 86_400_000) } });

    const first = await maintain();
    const row = await t.ctx.prisma.paymentEvent.findFirstOrThrow({ where: { orderId } });

    expect(first.paymentEventsScrubbed).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(row.payload)).not.toMatch(/jane|Jane/);
    expect(row.payload).toMatchObject({ id: withCustomer.id, type: "checkout.session.completed", scrubbed: true, data: { object: { id: sessionId, amount_total: 1000, currency: "eur" } } });
    expect(row).toMatchObject({ stripeEventId: withCustomer.id, outcome: "processed" });
    expect((await maintain()).paymentEventsScrubbed).toBe(0);
  });

  it("when a refund got no answer from Stripe, then a later run resolves it with the same idempotency key", async () => {
    const buyer = await createBuyer(t.ctx);
    const admin = await createBuyer(t.ctx, "ADMIN");
    const { orderId, sessionId } = await checkoutOne(t, buyer.auth, product.id);
    await sendEvent(t, eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed"));
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 1 });
    const lost = await request(t.app).post(`/admin/orders/${orderId}/refunds`).set("Authorization", admin.auth).send({ amount: 300 });
    expect(lost.status).toBe(202);
    const [pending] = await t.ctx.prisma.refund.findMany({ where: { orderId } });
    expect(pending).toMatchObject({ status: "pending", stripeRefundId: null, amount: 300 });

    t.clock.advance(11 * 60 * 1000);
    const { refundsResolved } = await maintain();

    expect(refundsResolved).toBe(1);
    const settled = await t.ctx.prisma.refund.findUniqueOrThrow({ where: { id: pending!.id } });
    expect(settled.status).toBe("succeeded");
    expect(settled.stripeRefundId).toMatch(/^re_/);
    expect(await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).toMatchObject({ status: "partially_refunded", refundedAmount: 300 });
    const keys = t.stripe.requests.filter((r) => r.path === "/v1/refunds" && r.method === "POST").map((r) => r.idempotencyKey);
    expect(new Set(keys.slice(-2))).toEqual(new Set([`refund-${pending!.id}`]));
  });

  it("when another run holds the lock, then this run does nothing and says so", async () => {
    const holder = new pg.Client({ connectionString: t.databaseUrl });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(72707370)");
      expect(await runMaintenance(t.ctx)).toBeUndefined();
      expect(t.logs.withMessage("another maintenance run is in progress; skipping this one")).toHaveLength(1);
    } finally {
      await holder.end();
    }
    expect(await runMaintenance(t.ctx)).toBeDefined();
  });

  it("when older pending orders can never be read from Stripe, then they back off and a newer one is still reached", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    const longAgo = new Date("2020-01-01T00:00:00Z");
    await t.ctx.prisma.order.createMany({
      data: [0, 1].map((n) => ({
        userId: user.id, amountTotal: 1000, currency: "eur", status: "pending" as const,
        stripeCheckoutSessionId: `cs_test_gone${n}`, checkoutExpiresAt: longAgo, updatedAt: longAgo,
      })),
    });
    const { orderId } = await checkoutOne(t, auth, product.id);
    t.clock.advance(2 * 3600 * 1000);
    await t.stripe.sweepExpired();

    // A batch as large as the rows Stripe cannot answer for.
    const first = await runMaintenance(t.ctx, t.ctx.logger, { batchSize: 2 });
    expect(first?.ordersSkipped).toBe(2);
    expect(await statusOf(orderId)).toBe("pending");
    await runMaintenance(t.ctx, t.ctx.logger, { batchSize: 2 });

    expect(await statusOf(orderId)).toBe("expired");
  });
});

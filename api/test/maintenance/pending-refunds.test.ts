import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { runMaintenance } from "../../src/maintenance/maintenance-service.js";
import { accessTokenFor } from "../helpers/auth.js";
import { checkoutOne, createBuyer, createProduct, eventOf, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;
let buyer: { user: { id: string; role: "USER" | "ADMIN" } };
let admin: { user: { id: string; role: "USER" | "ADMIN" } };

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "maintenance-refunds" });
  product = await createProduct(t.ctx, { unitAmount: 1000 });
  buyer = await createBuyer(t.ctx);
  admin = await createBuyer(t.ctx, "ADMIN");
});
afterAll(() => t.close());

/** A token minted now: tests move the clock past a token's lifetime. */
const authOf = (who: typeof buyer) => `Bearer ${accessTokenFor(t.ctx, who.user)}`;

const HOUR = 3600 * 1000;
const maintain = async (options?: { batchSize?: number }) => {
  const summary = await runMaintenance(t.ctx, t.ctx.logger, options);
  if (!summary) throw new Error("maintenance was skipped");
  return summary;
};

async function paidOrder() {
  const { orderId, sessionId } = await checkoutOne(t, authOf(buyer), product.id, 2);
  await sendEvent(t, eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed"));
  return orderId;
}
const refund = (orderId: string, amount: number) =>
  request(t.app).post(`/admin/orders/${orderId}/refunds`).set("Authorization", authOf(admin)).send({ amount });
const refundPosts = () => t.stripe.requests.filter((r) => r.method === "POST" && r.path === "/v1/refunds");
const rowOf = (id: string) => t.ctx.prisma.refund.findUniqueOrThrow({ where: { id } });

describe("npm run maintenance: pending refunds", () => {
  it("when a refund Stripe accepted as pending settled without its event reaching us, then a run after an hour re-reads it", async () => {
    const orderId = await paidOrder();
    t.stripe.holdNextRefund();
    const res = await refund(orderId, 700);
    expect(res.status).toBe(201);
    expect(res.body.refund.status).toBe("pending");
    const row = (await t.ctx.prisma.refund.findFirstOrThrow({ where: { orderId } }));
    await t.stripe.settleRefund(row.stripeRefundId!); // its events are never delivered

    await maintain();
    expect((await rowOf(row.id)).status).toBe("pending"); // not yet an hour
    t.clock.advance(HOUR + 1000);
    const summary = await maintain();

    expect(summary.refundsResolved).toBeGreaterThanOrEqual(1);
    expect((await rowOf(row.id)).status).toBe("succeeded");
    expect(await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).toMatchObject({ refundedAmount: 700, status: "partially_refunded" });
  });

  it("when Stripe made the refund but the answer was lost, then maintenance finds it by its metadata and sends nothing again", async () => {
    const orderId = await paidOrder();
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 1, afterProcessing: true });
    const res = await refund(orderId, 300);
    expect(res.status).toBe(202);
    const posts = refundPosts().length;

    await maintain();

    expect(refundPosts()).toHaveLength(posts);
    expect(await rowOf(res.body.refund.id)).toMatchObject({ status: "succeeded", stripeRefundId: expect.stringMatching(/^re_/), nextCheckAt: null });
  });

  it("when Stripe has no such refund and the first attempt is 23 h old, then it stays pending, is logged at error and counted", async () => {
    const orderId = await paidOrder();
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 1 });
    const res = await refund(orderId, 300);
    expect(res.status).toBe(202);
    const posts = refundPosts().length;
    t.clock.advance(23 * HOUR);

    const summary = await maintain();

    expect(refundPosts()).toHaveLength(posts);
    expect(summary.refundsNeedingOperator).toBe(1);
    expect(await rowOf(res.body.refund.id)).toMatchObject({ status: "pending", stripeRefundId: null });
    expect(t.logs.find((l) => l.level === "error" && l.refundId === res.body.refund.id)).not.toHaveLength(0);
    expect(await t.ctx.metrics.render()).toMatch(/^refunds_needing_operator 1$/m);
    // Still blocking: no new refund for that order until an operator resolves it.
    expect((await refund(orderId, 100)).body.code).toBe("REFUND_PENDING");
    await t.ctx.prisma.refund.update({ where: { id: res.body.refund.id }, data: { status: "failed" } });
    expect(await t.ctx.metrics.render()).toMatch(/^refunds_needing_operator 0$/m);
  });

  it("when older pending refunds cannot be read from Stripe, then they back off and newer ones are still reached", async () => {
    const orders = [await paidOrder(), await paidOrder(), await paidOrder()];
    const ids: string[] = [];
    for (const orderId of orders) {
      t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 1, afterProcessing: true });
      ids.push((await refund(orderId, 100)).body.refund.id);
      t.clock.advance(1000);
    }
    t.stripe.injectFault({ path: "/v1/refunds", method: "GET", status: 500, times: 2 });

    const first = await maintain({ batchSize: 2 });
    const second = await maintain({ batchSize: 2 });

    expect(first.refundsBackedOff).toBe(2);
    expect(second.refundsResolved).toBe(1);
    expect((await rowOf(ids[2]!)).status).toBe("succeeded");
    expect((await rowOf(ids[0]!)).status).toBe("pending");
    t.clock.advance(HOUR);
    await maintain();
    expect((await rowOf(ids[0]!)).status).toBe("succeeded");
  });
});

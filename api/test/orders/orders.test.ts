import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { checkoutOne, createBuyer, createProduct, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let product: Product;

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "orders" });
  product = await createProduct(t.ctx, { unitAmount: 700 });
});
afterAll(() => t.close());

describe("GET /orders", () => {
  it("when a user has orders, then only theirs come back, newest first, page by page with a cursor", async () => {
    const me = await createBuyer(t.ctx);
    const other = await createBuyer(t.ctx);
    const mine: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      mine.push((await checkoutOne(t, me.auth, product.id, i + 1)).orderId);
      t.clock.advance(1000);
    }
    await checkoutOne(t, other.auth, product.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(t.app)
        .get("/orders")
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set("Authorization", me.auth);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((o: { id: string }) => o.id));
      cursor = res.body.nextCursor;
    } while (cursor);

    expect(seen).toEqual([...mine].reverse());
  });

  it("when orders share a creation time, then the cursor still neither skips nor repeats", async () => {
    const me = await createBuyer(t.ctx);
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push((await checkoutOne(t, me.auth, product.id)).orderId);
    await t.ctx.prisma.order.updateMany({ where: { id: { in: ids } }, data: { createdAt: new Date("2026-01-01T00:00:00.000Z") } });
    const first = await request(t.app).get("/orders?limit=1").set("Authorization", me.auth);
    const rest = await request(t.app).get(`/orders?limit=5&cursor=${first.body.nextCursor}`).set("Authorization", me.auth);
    const all = [...first.body.data, ...rest.body.data].map((o: { id: string }) => o.id);
    expect(new Set(all).size).toBe(3);
    expect(rest.body.nextCursor).toBeNull();
  });

  it("when limit or cursor are invalid, then 400", async () => {
    const me = await createBuyer(t.ctx);
    for (const query of ["limit=0", "limit=101", "limit=abc", "cursor=garbage", "unknown=1"]) {
      const res = await request(t.app).get(`/orders?${query}`).set("Authorization", me.auth);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
  });

  it("when anonymous, then 401", async () => {
    expect((await request(t.app).get("/orders")).status).toBe(401);
  });
});

describe("GET /orders/:id", () => {
  it("when the owner asks, then the order in the documented shape", async () => {
    const me = await createBuyer(t.ctx);
    const { orderId } = await checkoutOne(t, me.auth, product.id, 3);
    const res = await request(t.app).get(`/orders/${orderId}`).set("Authorization", me.auth);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.order).sort()).toEqual(["amountTotal", "createdAt", "currency", "id", "items", "paidAt", "refundedAmount", "status"]);
    expect(res.body.order).toMatchObject({ id: orderId, status: "pending", amountTotal: 2100, items: [{ productId: product.id, quantity: 3, unitAmount: 700 }] });
  });

  it("when another user asks, then 404 (never 403); when an admin asks, then 200", async () => {
    const owner = await createBuyer(t.ctx);
    const stranger = await createBuyer(t.ctx);
    const admin = await createBuyer(t.ctx, "ADMIN");
    const { orderId } = await checkoutOne(t, owner.auth, product.id);
    const denied = await request(t.app).get(`/orders/${orderId}`).set("Authorization", stranger.auth);
    expect(denied.status).toBe(404);
    expect(denied.body.code).toBe("NOT_FOUND");
    expect((await request(t.app).get(`/orders/${orderId}`).set("Authorization", admin.auth)).status).toBe(200);
    expect((await request(t.app).get(`/orders/00000000-0000-4000-8000-000000000000`).set("Authorization", owner.auth)).status).toBe(404);
    expect((await request(t.app).get(`/orders/not-a-uuid`).set("Authorization", owner.auth)).status).toBe(400);
  });
});

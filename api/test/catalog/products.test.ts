import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "products" });
});
afterAll(() => t.close());

describe("GET /products", () => {
  it("when the catalogue is empty, then 200 with an empty list", async () => {
    const res = await request(t.app).get("/products");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [] });
  });

  it("when products exist, then only active ones are listed by name, with exactly the public fields", async () => {
    const mug = await t.ctx.prisma.product.create({
      data: { sku: "p-mug", name: "Mug", description: "300 ml", unitAmount: 1450, currency: "eur" },
    });
    const beans = await t.ctx.prisma.product.create({
      data: { sku: "p-beans", name: "Beans", description: "1 kg", unitAmount: 2490, currency: "eur" },
    });
    await t.ctx.prisma.product.create({
      data: { sku: "p-retired", name: "Retired kettle", unitAmount: 5000, currency: "eur", active: false },
    });

    const res = await request(t.app).get("/products");

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [
        { id: beans.id, name: "Beans", description: "1 kg", unitAmount: 2490, currency: "eur" },
        { id: mug.id, name: "Mug", description: "300 ml", unitAmount: 1450, currency: "eur" },
      ],
    });
  });

  it("when a query parameter is given, then 400 VALIDATION_FAILED names it", async () => {
    const res = await request(t.app).get("/products?page=2");
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: "VALIDATION_FAILED", errors: { "query.page": ["is not allowed"] } });
  });
});

import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Product } from "../../src/generated/prisma/client.js";
import { checkoutOne, createBuyer, createProduct, eventOf, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";
import type { AdminMetrics } from "../../src/platform/metrics/metrics.js";
import { sample } from "../ops/prometheus.js";

let t: PaymentsTestApp;
let product: Product;
let buyer: string;
let admin: string;

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "ops-admin-metrics" });
  product = await createProduct(t.ctx, { unitAmount: 2500, currency: "eur" });
  buyer = (await createBuyer(t.ctx)).auth;
  admin = (await createBuyer(t.ctx, "ADMIN")).auth;
});
afterAll(() => t?.close());

const adminMetrics = async () => {
  const res = await request(t.app).get("/admin/metrics").set("Authorization", admin);
  expect(res.status).toBe(200);
  return res.body as AdminMetrics;
};
const prometheus = async () => (await request(t.app).get("/metrics")).text;
const COMPLETED = "checkout.session.completed";

describe("GET /admin/metrics", () => {
  it("when called without a token, then 401; as a plain user, then 403", async () => {
    const anonymous = await request(t.app).get("/admin/metrics");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe("UNAUTHENTICATED");
    const user = await request(t.app).get("/admin/metrics").set("Authorization", buyer);
    expect(user.status).toBe(403);
    expect(user.body.code).toBe("FORBIDDEN");
  });

  it("when called by an admin, then it answers the documented shape with the package version", async () => {
    const body = await adminMetrics();
    expect(Object.keys(body.webhook).sort()).toEqual(["duplicates", "errors", "ignored", "invalidSignatures", "processed", "received", "rejected"]);
    expect(Object.keys(body.runtime).sort()).toEqual(["http5xx", "uptimeSeconds", "version"]);
    expect(body.runtime.version).toBe("0.1.0");
    expect(Number.isInteger(body.runtime.uptimeSeconds)).toBe(true);
  });
});

describe("the counters move with what happens", () => {
  it("when a webhook is processed, a duplicate arrives, a bad signature comes and a 500 happens, then both endpoints count each", async () => {
    const before = await adminMetrics();
    const text0 = await prometheus();
    const processed0 = sample(text0, "webhook_events_total", { type: COMPLETED, outcome: "processed" }) ?? 0;
    const duplicate0 = sample(text0, "webhook_events_total", { type: COMPLETED, outcome: "duplicate" }) ?? 0;
    const paid0 = sample(text0, "order_transitions_total", { from: "pending", to: "paid" }) ?? 0;
    const checkouts0 = sample(text0, "checkout_sessions_created_total") ?? 0;

    const { sessionId } = await checkoutOne(t, buyer, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), COMPLETED);
    expect((await sendEvent(t, completed)).status).toBe(200);
    expect((await sendEvent(t, completed)).status).toBe(200); // redelivery
    expect((await sendEvent(t, completed, { secret: "whsec_notOurSecret" })).status).toBe(400);
    const render = vi.spyOn(t.ctx.metrics, "render").mockRejectedValueOnce(new Error("forced failure"));
    expect((await request(t.app).get("/metrics")).status).toBe(500);
    render.mockRestore();

    const after = await adminMetrics();
    expect(after.webhook.received - before.webhook.received).toBe(2);
    expect(after.webhook.processed - before.webhook.processed).toBe(1);
    expect(after.webhook.duplicates - before.webhook.duplicates).toBe(1);
    expect(after.webhook.invalidSignatures - before.webhook.invalidSignatures).toBe(1);
    expect(after.webhook.errors - before.webhook.errors).toBe(0);
    expect(after.runtime.http5xx - before.runtime.http5xx).toBe(1);

    const text = await prometheus();
    expect(sample(text, "webhook_events_total", { type: COMPLETED, outcome: "processed" })).toBe(processed0 + 1);
    expect(sample(text, "webhook_events_total", { type: COMPLETED, outcome: "duplicate" })).toBe(duplicate0 + 1);
    expect(sample(text, "webhook_events_total", { type: "unknown", outcome: "invalid_signature" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "order_transitions_total", { from: "pending", to: "paid" })).toBe(paid0 + 1);
    expect(sample(text, "checkout_sessions_created_total")).toBe(checkouts0 + 1);
    expect(sample(text, "http_request_duration_seconds_count", { method: "POST", route: "/webhooks/stripe", status_code: "200" })).toBe(2);
    expect(sample(text, "http_request_duration_seconds_count", { method: "GET", route: "/metrics", status_code: "500" })).toBe(1);
  });
});

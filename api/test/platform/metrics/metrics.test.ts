import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createMetrics } from "../../../src/platform/metrics/metrics.js";
import { setupTestApp, type TestApp } from "../../helpers/app.js";
import { sample } from "../../ops/prometheus.js";

let t: TestApp;
let guarded: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "ops-metrics" });
  guarded = await setupTestApp({ name: "ops-metrics-token", env: { METRICS_TOKEN: "scrape-token-0123456789" } });
});
afterAll(async () => {
  await t?.close();
  await guarded?.close();
});

describe("GET /metrics", () => {
  it("when no METRICS_TOKEN is set, then anyone gets Prometheus text with process and pool metrics", async () => {
    const res = await request(t.app).get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain("# TYPE http_request_duration_seconds histogram");
    expect(sample(res.text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sample(res.text, "db_pool_connections_in_use")).toBe(0);
    expect(sample(res.text, "db_pool_connections_idle")).toBeGreaterThanOrEqual(0);
    expect(sample(res.text, "db_pool_waiting_requests")).toBe(0);
    expect(sample(res.text, "app_info", { version: "0.1.0" })).toBe(1);
  });

  it("when requests were answered, then the histogram counts them by route pattern and status, never by raw URL", async () => {
    await request(t.app).get("/products");
    await request(t.app).get("/products");
    await request(t.app).get("/no-such-route/raw-segment");
    const res = await request(t.app).get("/metrics");
    expect(sample(res.text, "http_request_duration_seconds_count", { method: "GET", route: "/products", status_code: "200" })).toBe(2);
    expect(sample(res.text, "http_request_duration_seconds_count", { method: "GET", route: "unmatched", status_code: "404" })).toBe(1);
    // A path of letters: a number could turn up in any sample's value.
    expect(res.text).not.toContain("no-such-route");
    expect(res.text).not.toContain("raw-segment");
  });

  it("when a route under a mount path fails, then its label still carries the mount path", async () => {
    await request(t.app).get("/auth/me"); // 401 passed on as an error
    await request(t.app).post("/auth/login").send({ email: "not-an-email" }); // 400
    const res = await request(t.app).get("/metrics");
    expect(sample(res.text, "http_request_duration_seconds_count", { method: "GET", route: "/auth/me", status_code: "401" })).toBe(1);
    expect(sample(res.text, "http_request_duration_seconds_count", { method: "POST", route: "/auth/login", status_code: "400" })).toBe(1);
  });

  it("when the pool has a connection checked out, then the in-use gauge shows it", async () => {
    const client = await t.ctx.db.pool.connect();
    try {
      const res = await request(t.app).get("/metrics");
      expect(sample(res.text, "db_pool_connections_in_use")).toBe(1);
    } finally {
      client.release();
    }
  });

  it("when METRICS_TOKEN is set and no token is presented, then 401 problem UNAUTHENTICATED", async () => {
    const res = await request(guarded.app).get("/metrics");
    expect(res.status).toBe(401);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
  });

  it("when METRICS_TOKEN is set and a wrong token is presented, then 401", async () => {
    const res = await request(guarded.app).get("/metrics").set("Authorization", "Bearer scrape-token-wrong");
    expect(res.status).toBe(401);
  });

  it("when METRICS_TOKEN is set and presented as Bearer, then 200", async () => {
    const res = await request(guarded.app).get("/metrics").set("Authorization", "Bearer scrape-token-0123456789");
    expect(res.status).toBe(200);
    expect(res.text).toContain("http_request_duration_seconds");
  });

  it("when an unexpected error answers 500, then the 5xx is counted under its route", async () => {
    const before = t.ctx.metrics.snapshot().runtime.http5xx;
    const render = vi.spyOn(t.ctx.metrics, "render").mockRejectedValueOnce(new Error("forced failure"));
    const failed = await request(t.app).get("/metrics");
    render.mockRestore();
    expect(failed.status).toBe(500);
    expect(failed.body.code).toBe("INTERNAL");
    expect(t.ctx.metrics.snapshot().runtime.http5xx).toBe(before + 1);
    const res = await request(t.app).get("/metrics");
    expect(sample(res.text, "http_request_duration_seconds_count", { method: "GET", route: "/metrics", status_code: "500" })).toBe(1);
  });
});

describe("the metrics API", () => {
  const metrics = () => createMetrics({ pool: { totalCount: 3, idleCount: 1, waitingCount: 2 }, version: "9.9.9", uptimeSeconds: () => 42 });

  it("when domain events are recorded, then each shows in the Prometheus text with its labels", async () => {
    const m = metrics();
    m.webhookEvent("checkout.session.completed", "received");
    m.webhookEvent("checkout.session.completed", "processed");
    m.orderTransition("pending", "paid");
    m.checkoutCreated();
    m.checkoutCreated();
    m.stripeFailure("checkout.sessions.create", "unavailable");
    m.refund("succeeded");
    m.rateLimitFallback("auth");
    const text = await m.render();
    expect(sample(text, "webhook_events_total", { type: "checkout.session.completed", outcome: "processed" })).toBe(1);
    expect(sample(text, "order_transitions_total", { from: "pending", to: "paid" })).toBe(1);
    expect(sample(text, "checkout_sessions_created_total")).toBe(2);
    expect(sample(text, "stripe_failures_total", { operation: "checkout.sessions.create", kind: "unavailable" })).toBe(1);
    expect(sample(text, "refunds_total", { outcome: "succeeded" })).toBe(1);
    expect(sample(text, "rate_limit_redis_fallbacks_total", { limiter: "auth" })).toBe(1);
    expect(sample(text, "db_pool_connections_in_use")).toBe(2);
    expect(sample(text, "db_pool_connections_idle")).toBe(1);
    expect(sample(text, "db_pool_waiting_requests")).toBe(2);
  });

  it("when an event is received and then applied, then webhook_events_total counts it once, by its outcome", async () => {
    const m = metrics();
    m.webhookEvent("charge.refunded", "received");
    m.webhookEvent("charge.refunded", "duplicate");
    const text = await m.render();
    expect(sample(text, "webhook_events_total", { type: "charge.refunded", outcome: "received" })).toBeUndefined();
    const total = text.split("\n").filter((l) => l.startsWith("webhook_events_total{")).reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
    expect(total).toBe(1);
    expect(m.snapshot().webhook.received).toBe(1);
  });

  it("when a Stripe call is timed and an event's lag observed, then both histograms count them by label", async () => {
    const m = metrics();
    await m.timeStripeCall("refunds.create", async () => "ok");
    await expect(m.timeStripeCall("refunds.create", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    m.webhookLag("checkout.session.completed", 1_700_000_000, new Date(1_700_000_042_000));
    const text = await m.render();
    expect(sample(text, "stripe_request_duration_seconds_count", { operation: "refunds.create" })).toBe(2);
    expect(sample(text, "webhook_event_lag_seconds_sum", { type: "checkout.session.completed" })).toBe(42);
    expect(sample(text, "webhook_event_lag_seconds_bucket", { type: "checkout.session.completed", le: "30" })).toBe(0);
    expect(sample(text, "webhook_event_lag_seconds_bucket", { type: "checkout.session.completed", le: "60" })).toBe(1);
  });

  it("when webhook outcomes are recorded, then the admin snapshot counts each under its documented name", () => {
    const m = metrics();
    const outcomes = ["received", "received", "processed", "duplicate", "ignored", "rejected", "invalid_signature", "error"] as const;
    for (const outcome of outcomes) m.webhookEvent("charge.refunded", outcome);
    m.httpRequest({ method: "GET", route: "/x", status: 502, seconds: 0.01 });
    m.httpRequest({ method: "GET", route: "/x", status: 404, seconds: 0.01 });
    expect(m.snapshot()).toEqual({
      webhook: { received: 2, processed: 1, duplicates: 1, ignored: 1, rejected: 1, invalidSignatures: 1, errors: 1 },
      runtime: { uptimeSeconds: 42, http5xx: 1, version: "9.9.9" },
    });
  });

  it("when two contexts record, then their registries are independent", async () => {
    const a = metrics();
    const b = metrics();
    a.checkoutCreated();
    expect(sample(await a.render(), "checkout_sessions_created_total")).toBe(1);
    expect(sample(await b.render(), "checkout_sessions_created_total")).toBe(0);
  });
});

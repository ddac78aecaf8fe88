import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, sdkFor, sessionParams, startHarness, type Harness } from "./fixtures.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => h.standIn.clearFaults());
afterAll(() => h.close());

const sessionPosts = (key: string) => h.standIn.requests.filter((r) => r.path === "/v1/checkout/sessions" && r.idempotencyKey === key);

describe("Idempotency-Key", () => {
  it("when the same key comes with the same parameters, then the first answer is replayed and no second session exists", async () => {
    const before = h.standIn.sessions.size;
    const first = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "order-1-attempt-1" });
    const second = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "order-1-attempt-1" });

    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(h.standIn.sessions.size).toBe(before + 1);
  });

  it("when the same key comes with other parameters, then 400 idempotency_error", async () => {
    await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "order-2-attempt-1" });
    const err = await h.stripe.checkout.sessions.create(sessionParams({ client_reference_id: "other" }), { idempotencyKey: "order-2-attempt-1" }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err).toMatchObject({ statusCode: 400, type: "StripeIdempotencyError", message: expect.stringContaining("same parameters") });
  });

  it("when the first answer was an error of the endpoint logic, then the same error is replayed even after the cause is gone", async () => {
    const params = sessionParams({ expires_at: Math.floor(h.clock.now().getTime() / 1000) + 10 * 60 });
    const first = await h.stripe.checkout.sessions.create(params, { idempotencyKey: "order-3-attempt-1" }).catch((e: unknown) => e);
    h.clock.advance(-60 * 60 * 1000); // the same expires_at would now be valid
    const replay = await h.stripe.checkout.sessions.create(params, { idempotencyKey: "order-3-attempt-1" }).catch((e: unknown) => e);
    h.clock.advance(60 * 60 * 1000);

    expect(first).toMatchObject({ statusCode: 400, param: "expires_at" });
    expect(replay).toMatchObject({ statusCode: 400, param: "expires_at", message: (first as Error).message });
  });

  it("when the key is reused on another endpoint, then 400 idempotency_error", async () => {
    const created = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "shared-key" });
    await expect(h.stripe.checkout.sessions.expire(created.id, {}, { idempotencyKey: "shared-key" })).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it("when the key is used with another API key, then it is a different key", async () => {
    const other = sdkFor(h.standIn, 0, `${API_KEY}Other`);
    const a = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "per-account" });
    const b = await other.checkout.sessions.create(sessionParams(), { idempotencyKey: "per-account" });
    expect(b.id).not.toBe(a.id);
  });
});

describe("injected faults", () => {
  it("when the first attempt gets a 500 and the SDK retries, then one session exists and the stand-in saw the key twice", async () => {
    h.standIn.injectFault({ method: "POST", path: "/v1/checkout/sessions", status: 500, times: 1 });
    const before = h.standIn.sessions.size;

    const session = await sdkFor(h.standIn, 2).checkout.sessions.create(sessionParams(), { idempotencyKey: "order-4-attempt-1" });

    expect(h.standIn.sessions.size).toBe(before + 1);
    expect(h.standIn.sessions.has(session.id)).toBe(true);
    expect(sessionPosts("order-4-attempt-1")).toHaveLength(2);
  });

  it("when Stripe processed the request but the answer was lost, then the retry gets the stored session", async () => {
    h.standIn.injectFault({ path: "/v1/checkout/sessions", drop: true, afterProcessing: true, times: 1 });
    const before = h.standIn.sessions.size;

    const session = await sdkFor(h.standIn, 1).checkout.sessions.create(sessionParams(), { idempotencyKey: "order-5-attempt-1" });

    expect(session.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(h.standIn.sessions.size).toBe(before + 1);
    expect(sessionPosts("order-5-attempt-1")).toHaveLength(2);
  });

  it("when the connection is dropped on every attempt, then the SDK reports a connection error and nothing was created", async () => {
    h.standIn.injectFault({ path: "/v1/checkout/sessions", drop: true });
    const before = h.standIn.sessions.size;

    const err = await sdkFor(h.standIn, 1).checkout.sessions.create(sessionParams(), { idempotencyKey: "order-6-attempt-1" }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(h.standIn.sessions.size).toBe(before);
  });

  it("when a 500 fault is active, then it is answered even for a key whose answer is cached, and clearing it restores the replay", async () => {
    const created = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "order-7-attempt-1" });
    h.standIn.injectFault({ path: "/v1/checkout/sessions", status: 500 });
    await expect(h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "order-7-attempt-1" })).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);

    h.standIn.clearFaults();
    const replayed = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "order-7-attempt-1" });
    expect(replayed.id).toBe(created.id);
  });

  it("when a 429 says Stripe-Should-Retry: true, then the SDK retries; without it, the SDK gives up", async () => {
    const retrying = sdkFor(h.standIn, 1);
    h.standIn.injectFault({ path: "/v1/events", status: 429, shouldRetry: true, times: 1 });
    await expect(retrying.events.list()).resolves.toMatchObject({ object: "list" });

    h.standIn.injectFault({ path: "/v1/events", status: 429, times: 1 });
    await expect(retrying.events.list()).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
  });

  it("when latency is injected for one request, then the request is served after the delay", async () => {
    h.standIn.injectFault({ method: "GET", path: /^\/v1\/events/, latencyMs: 50, times: 1 });
    await expect(h.stripe.events.list({ limit: 1 })).resolves.toMatchObject({ object: "list" });
  });

  it("when latency exceeds the SDK's timeout, then the SDK's retry with the same key creates no second session", async () => {
    h.standIn.injectFault({ path: "/v1/checkout/sessions", latencyMs: 400, times: 1 });
    const target = new URL(h.standIn.url);
    const impatient = new Stripe(API_KEY, { host: target.hostname, port: Number(target.port), protocol: "http", maxNetworkRetries: 1, timeout: 150 });
    const before = h.standIn.sessions.size;

    const session = await impatient.checkout.sessions.create(sessionParams(), { idempotencyKey: "order-8-attempt-1" });

    // The SDK's retry waits out its backoff (≥ 500 ms), so the slow first attempt has landed too.
    expect(sessionPosts("order-8-attempt-1")).toHaveLength(2);
    expect(h.standIn.sessions.size).toBe(before + 1);
    expect(h.standIn.sessions.has(session.id)).toBe(true);
  });
});

describe("before and saved faults", () => {
  const SESSIONS = "/v1/checkout/sessions";
  const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Stripe.errors.StripeError);

  it("when 1 + maxNetworkRetries before-faults answer 500, then the SDK gives up with no replay, nothing is saved and the same key then succeeds", async () => {
    const retries = 2;
    const sdk = sdkFor(h.standIn, retries);
    h.standIn.injectFault({ kind: "before", method: "POST", path: SESSIONS, status: 500, times: 1 + retries });
    const before = h.standIn.sessions.size;

    const err = await errorOf(sdk.checkout.sessions.create(sessionParams(), { idempotencyKey: "before-1" }));

    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err!.statusCode).toBe(500);
    expect(err!.headers?.["idempotent-replayed"]).toBeUndefined();
    expect(sessionPosts("before-1")).toHaveLength(1 + retries);
    expect(h.standIn.sessions.size).toBe(before);
    const session = await sdk.checkout.sessions.create(sessionParams(), { idempotencyKey: "before-1" });
    expect(session.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
    expect(h.standIn.sessions.size).toBe(before + 1);
  });

  it("when a saved fault answers 500, then it says Stripe-Should-Retry: false (the SDK does not retry) and every retry with the key gets it replayed", async () => {
    const sdk = sdkFor(h.standIn, 2);
    h.standIn.injectFault({ kind: "saved", method: "POST", path: SESSIONS, times: 1 });
    const before = h.standIn.sessions.size;

    const first = await errorOf(sdk.checkout.sessions.create(sessionParams(), { idempotencyKey: "saved-1" }));
    const replay = await errorOf(sdk.checkout.sessions.create(sessionParams(), { idempotencyKey: "saved-1" }));

    expect(first).toMatchObject({ statusCode: 500, type: "StripeAPIError" });
    expect(first!.headers).toMatchObject({ "stripe-should-retry": "false" });
    expect(first!.headers?.["idempotent-replayed"]).toBeUndefined();
    expect(replay).toMatchObject({ statusCode: 500, type: "StripeAPIError", message: first!.message });
    expect(replay!.headers).toMatchObject({ "stripe-should-retry": "false", "idempotent-replayed": "true" });
    expect(sessionPosts("saved-1")).toHaveLength(2);
    expect(h.standIn.sessions.size).toBe(before);
    // Another key is another request: the saved fault was used up.
    await expect(sdk.checkout.sessions.create(sessionParams(), { idempotencyKey: "saved-2" })).resolves.toMatchObject({ object: "checkout.session" });
  });

  it("when a saved 500's answer is lost (drop), then the SDK's retry of the closed connection gets the replayed 500", async () => {
    h.standIn.injectFault({ kind: "saved", method: "POST", path: SESSIONS, drop: true, times: 1 });

    const err = await errorOf(sdkFor(h.standIn, 0).checkout.sessions.create(sessionParams(), { idempotencyKey: "saved-lost-1" }));

    expect(err).toMatchObject({ statusCode: 500, type: "StripeAPIError" });
    expect(err!.headers).toMatchObject({ "idempotent-replayed": "true", "stripe-should-retry": "false" });
    expect(sessionPosts("saved-lost-1")).toHaveLength(2);
  });

  it("when a saved fault omits fields, then the endpoint's answer is stored and replayed without them", async () => {
    h.standIn.injectFault({ kind: "saved", method: "POST", path: SESSIONS, omitFields: ["url"], times: 1 });

    const first = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "no-url-1" });
    const replay = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "no-url-1" });

    expect(first.id).toMatch(/^cs_/);
    expect(first).not.toHaveProperty("url");
    expect(replay.id).toBe(first.id);
    expect(replay).not.toHaveProperty("url");
    expect(replay.lastResponse.headers["idempotent-replayed"]).toBe("true");
  });
});

describe("recorded requests", () => {
  it("when a POST arrives, then its raw body is kept byte for byte beside the parsed one", async () => {
    await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "raw-1" });
    await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "raw-1" });
    const reversed = Object.fromEntries(Object.entries(sessionParams()).reverse()) as unknown as Stripe.Checkout.SessionCreateParams;
    await h.stripe.checkout.sessions.create(reversed, { idempotencyKey: "raw-2" });

    const [first, second] = sessionPosts("raw-1");
    const [reordered] = sessionPosts("raw-2");
    expect(first!.rawBody).toContain("line_items[0][price_data][unit_amount]=1999");
    expect(second!.rawBody).toBe(first!.rawBody);
    expect(reordered!.body).toEqual(first!.body);
    expect(reordered!.rawBody).not.toBe(first!.rawBody);
  });
});

import { randomBytes } from "node:crypto";
import http from "node:http";
import fc from "fast-check";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyBody, registerBody } from "../../src/auth/schema.js";
import { errorCodes } from "../../src/platform/errors.js";
import { createBuyer, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";
import {
  deepJson,
  headerValue,
  hostileJson,
  hostileKey,
  hostileNumber,
  hostileQuery,
  hostileSegment,
  hostileString,
  malformedJson,
  objectWith,
  toJsonText,
  wrongContentType,
  type Json,
} from "./support/hostile.js";

/** The issue asks for at least 2,000 generated cases per run; the properties below add up to more. */
const MINIMUM_CASES = 2000;

let t: PaymentsTestApp;
let server: http.Server;
let buyerAuth: string;
let adminAuth: string;
let baseline: Record<string, number>;
let cases = 0;

beforeAll(async () => {
  // Limits raised so that every generated case reaches validation instead of a 429.
  t = await setupPaymentsApp({
    name: "reliability-hostile-input",
    env: { AUTH_RATE_LIMIT: "10000000", LOGIN_FAILURE_LIMIT: "10000000", CHECKOUT_RATE_LIMIT: "10000000", LOG_LEVEL: "info" },
  });
  buyerAuth = (await createBuyer(t.ctx)).auth;
  adminAuth = (await createBuyer(t.ctx, "ADMIN")).auth;
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseline = await rowCounts();
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});

/** Every table a request could write, in one round trip. */
async function rowCounts(): Promise<Record<string, number>> {
  const { rows } = await t.ctx.db.pool.query<Record<string, number>>(`SELECT
    (SELECT count(*) FROM "User")::int AS users, (SELECT count(*) FROM "RefreshToken")::int AS "refreshTokens",
    (SELECT count(*) FROM "Order")::int AS orders, (SELECT count(*) FROM "OrderItem")::int AS "orderItems",
    (SELECT count(*) FROM "IdempotencyKey")::int AS "idempotencyKeys", (SELECT count(*) FROM "PaymentEvent")::int AS "paymentEvents",
    (SELECT count(*) FROM "Refund")::int AS refunds, (SELECT count(*) FROM "Product")::int AS products`);
  return rows[0]!;
}

/** Text that must never reach a client, unless the client sent it itself (echoed field names). */
const LEAKS = [
  /\bat [^\s()]+ \(?[^\s]*\.(?:ts|js|mjs):\d+/,
  /node_modules|\/work\/|api\/src/,
  /\bSELECT\b|\bINSERT INTO\b|\bUPDATE "|\bFROM "/,
  /prisma|PrismaClient|DriverAdapter/i,
  /ECONNREFUSED|violates .* constraint|duplicate key/i,
  /"stack"|\bstack trace\b/i,
];

interface Sent {
  method: "get" | "post";
  path: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

async function send({ method, path, body, contentType, headers = {} }: Sent) {
  let req = request(server)[method](path);
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  if (body !== undefined) req = req.set("Content-Type", contentType ?? "application/json").send(body);
  return req;
}

/**
 * The properties every hostile request must have: never a 5xx; any error is problem+json
 * with a code of the closed list; no stack, SQL or internal text; and nothing written.
 * `mayAccept`: the generator can produce a valid read (a GET), answered 200.
 */
async function expectRefused(sent: Sent, options: { mayAccept?: boolean } = {}) {
  cases += 1;
  const res = await send(sent);
  const context = `${sent.method.toUpperCase()} ${sent.path.slice(0, 200)} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, context).toBeLessThan(500);
  if (!(options.mayAccept && res.status === 200)) {
    expect(res.status, context).toBeGreaterThanOrEqual(400);
    expect(res.headers["content-type"], context).toContain("application/problem+json");
    expect(Object.keys(errorCodes), context).toContain(res.body.code);
    expect(res.body, context).toMatchObject({ status: res.status, requestId: expect.any(String), type: expect.any(String), title: expect.any(String) });
  }
  const sentText = `${sent.path} ${sent.body ?? ""} ${JSON.stringify(sent.headers ?? {})}`;
  for (const leak of LEAKS) {
    if (leak.test(res.text) && !leak.test(sentText)) throw new Error(`${leak} leaked: ${context}`);
  }
  expect(res.headers["x-request-id"], context).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  expect(await rowCounts(), context).toEqual(baseline);
}

const run = <T>(arbitrary: fc.Arbitrary<T>, numRuns: number, check: (value: T) => Promise<void>) =>
  fc.assert(fc.asyncProperty(arbitrary, check), { numRuns });

const extraEntries = fc.array(fc.tuple(hostileKey, hostileJson), { maxLength: 2 });
const text = (json: Json) => toJsonText(json);
const parsesAs = (schema: { safeParse(v: unknown): { success: boolean } }, body: string) => {
  try {
    return schema.safeParse(JSON.parse(body)).success;
  } catch {
    return false;
  }
};

describe("fuzzing every endpoint with hostile input (fast-check)", () => {
  it("when checkout bodies and Idempotency-Keys are hostile, then 4xx problem+json and no order, line or key is written", async () => {
    const line = objectWith({ productId: fc.oneof(fc.uuid(), hostileString), quantity: fc.oneof(hostileNumber, hostileString, fc.integer({ min: 1, max: 99 })) }, extraEntries);
    const body = fc.oneof(hostileJson, objectWith({ items: fc.oneof(hostileJson, fc.array(line, { maxLength: 25 })) }, extraEntries));
    const key = fc.option(fc.oneof(headerValue, fc.string({ minLength: 256, maxLength: 400 })), { nil: undefined });
    await run(fc.tuple(body.map(text), key), 400, ([json, idempotencyKey]) =>
      expectRefused({ method: "post", path: "/payments/checkout-session", body: json, headers: { authorization: buyerAuth, ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) } }),
    );
  });

  it("when register and login bodies are hostile, then 4xx problem+json and no user or session is written", async () => {
    const credentials = objectWith({ email: fc.oneof(hostileString, fc.emailAddress(), hostileNumber), password: fc.oneof(hostileString, hostileNumber, fc.string({ maxLength: 11 })) }, extraEntries);
    const body = fc.oneof(hostileJson, credentials).map(text);
    await run(body.filter((json) => !parsesAs(registerBody, json)), 250, (json) => expectRefused({ method: "post", path: "/auth/register", body: json }));
    await run(body, 150, (json) => expectRefused({ method: "post", path: "/auth/login", body: json }));
  });

  it("when refresh and logout get hostile cookies, origins and bodies, then 4xx problem+json and nothing is written", async () => {
    const cookie = fc.oneof(headerValue, headerValue.map((v) => `refresh_token=${encodeURIComponent(v)}`), fc.constant(`refresh_token=${randomBytes(32).toString("base64url")}`));
    const origin = fc.option(fc.oneof(headerValue, fc.constantFrom("null", "http://evil.test", "http://shop.test.evil.test")), { nil: undefined });
    const body = hostileJson.map(text).filter((json) => !parsesAs(emptyBody, json));
    await run(fc.tuple(fc.constantFrom("/auth/refresh", "/auth/logout"), cookie, origin, body), 100, ([path, cookieHeader, originHeader, json]) =>
      expectRefused({ method: "post", path, body: json, headers: { cookie: cookieHeader, ...(originHeader ? { origin: originHeader } : {}) } }),
    );
  });

  it("when list queries are hostile (unknown, repeated, huge values, forged cursors), then never 5xx and nothing is written", async () => {
    const forgedCursor = fc
      .tuple(fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }), fc.uuid())
      .map(([at, id]) => `cursor=${Buffer.from(`${at.toISOString()}|${id}`).toString("base64url")}`);
    const query = fc.oneof(hostileQuery, forgedCursor);
    await run(fc.tuple(fc.constantFrom("/orders", "/products"), query), 300, ([path, q]) =>
      expectRefused({ method: "get", path: `${path}?${q}`, headers: { authorization: buyerAuth } }, { mayAccept: true }),
    );
  });

  it("when ids in paths are hostile (invalid or unknown UUIDs, traversal, huge), then 4xx problem+json and nothing is written", async () => {
    const segment = fc.oneof(hostileSegment, fc.uuid());
    const refundBody = fc.oneof(hostileJson, objectWith({ amount: fc.oneof(hostileNumber, hostileString) }, extraEntries)).map(text);
    await run(fc.tuple(fc.constantFrom("order", "session", "refund"), segment, refundBody), 300, ([kind, id, json]) =>
      kind === "order"
        ? expectRefused({ method: "get", path: `/orders/${id}`, headers: { authorization: buyerAuth } })
        : kind === "session"
          ? expectRefused({ method: "get", path: `/payments/checkout-session/${id}`, headers: { authorization: buyerAuth } })
          : expectRefused({ method: "post", path: `/admin/orders/${id}/refunds`, body: json, headers: { authorization: adminAuth } }),
    );
  });

  it("when webhooks come unsigned, forged or with altered bodies, then 400 and no ledger row is written", async () => {
    const now = () => Math.floor(Date.now() / 1000);
    const signature = fc.oneof(
      fc.constant(undefined),
      headerValue,
      fc.constant(null).map(() => `t=${now()},v1=${randomBytes(32).toString("hex")}`),
      fc.integer({ min: -10_000, max: 10_000 }).map((skew) => `t=${now() + skew},v1=${randomBytes(32).toString("hex")},v0=${randomBytes(32).toString("hex")}`),
      // A genuine signature over some other body: the body was altered on the way.
      fc.constant(null).map(() => t.stripe.signedDelivery({ id: "evt_other", type: "checkout.session.completed" }).headers["stripe-signature"]!),
    );
    const body = fc.oneof(hostileJson.map(text), hostileString, deepJson);
    await run(fc.tuple(body, signature, fc.option(wrongContentType, { nil: undefined })), 300, ([json, sig, type]) =>
      expectRefused({ method: "post", path: "/webhooks/stripe", body: json, contentType: type, headers: sig === undefined ? {} : { "stripe-signature": sig } }),
    );
  });

  const POSTS = ["/payments/checkout-session", "/auth/register", "/auth/login", "/auth/refresh", "/auth/logout", "/admin/orders/00000000-0000-4000-8000-000000000000/refunds"];

  it("when bodies are malformed JSON, deeply nested, or of another content type, then 400/413/415 problem+json and nothing is written", async () => {
    const payload = fc.oneof(
      fc.tuple(malformedJson, fc.constant("application/json")),
      fc.tuple(deepJson, fc.constant("application/json")),
      // Non-empty: a POST without a body is not a 415, and logout without one succeeds.
      fc.tuple(fc.oneof(hostileJson.map(text), hostileString).filter((body) => body.length > 0), wrongContentType),
    );
    await run(fc.tuple(fc.constantFrom(...POSTS), payload), 300, ([path, [body, contentType]]) =>
      expectRefused({ method: "post", path, body, contentType, headers: { authorization: path.startsWith("/admin") ? adminAuth : buyerAuth } }),
    );
  });

  it("when headers are odd (request ids, authorization, accept), then never 5xx, ids stay sane and nothing is written", async () => {
    const paths = fc.constantFrom("/health", "/products", "/orders", "/auth/me", "/admin/metrics", "/no/such/route");
    const headers = fc.record(
      { "x-request-id": headerValue, authorization: fc.oneof(headerValue, headerValue.map((v) => `Bearer ${v}`)), accept: headerValue, "accept-encoding": headerValue, "x-forwarded-for": headerValue },
      { requiredKeys: [] },
    );
    await run(fc.tuple(paths, headers), 150, ([path, hdrs]) => expectRefused({ method: "get", path, headers: hdrs }, { mayAccept: path === "/health" || path === "/products" }));
  });

  it("when bodies are oversized, then 413 problem+json and nothing is written", async () => {
    const overJson = fc.integer({ min: 100 * 1024 + 1, max: 400 * 1024 }).map((n) => JSON.stringify({ items: "x".repeat(n) }));
    await run(fc.tuple(fc.constantFrom(...POSTS), overJson), 20, async ([path, body]) => {
      const res = await send({ method: "post", path, body, headers: { authorization: buyerAuth } });
      expect(res.status).toBe(413);
      await expectRefused({ method: "post", path, body, headers: { authorization: buyerAuth } });
    });
    const overWebhook = fc.integer({ min: 1024 * 1024 + 1, max: 1.5 * 1024 * 1024 }).map((n) => "x".repeat(n));
    await run(overWebhook, 4, async (body) => {
      const res = await send({ method: "post", path: "/webhooks/stripe", body, headers: { "stripe-signature": "t=1,v1=00" } });
      expect(res.status).toBe(413);
      cases += 1;
      expect(await rowCounts()).toEqual(baseline);
    });
  });

  it("when inputs the fuzzer once found to cause a 500 are sent again, then each is a 4xx (regressions)", async () => {
    const cursor = (text: string) => `/orders?cursor=${Buffer.from(text).toString("base64url")}`;
    const found: Sent[] = [
      // Field names that are Object.prototype members broke the validation error map.
      { method: "post", path: "/auth/register", body: '{"__proto__":"x"}' },
      { method: "post", path: "/auth/register", body: '{"constructor":1,"toString":2}' },
      { method: "post", path: "/admin/orders/%20/refunds", body: '{"__proto__":""}', headers: { authorization: adminAuth } },
      // Cursors with a date or id PostgreSQL refuses.
      { method: "get", path: cursor("0000-12-31T23:59:59.999Z|00000000-0000-1000-8000-000000000000"), headers: { authorization: buyerAuth } },
      { method: "get", path: cursor("+275760-09-13T00:00:00.000Z|00000000-0000-1000-8000-000000000000"), headers: { authorization: buyerAuth } },
      { method: "get", path: cursor("2026-01-01T00:00:00.000Z|------------------------------------"), headers: { authorization: buyerAuth } },
      // PostgreSQL text cannot hold NUL.
      { method: "post", path: "/auth/login", body: '{"email":"\\u0000","password":"\\u0000"}' },
    ];
    for (const sent of found) {
      const res = await send(sent);
      expect([sent.path, res.status]).toEqual([sent.path, 400]);
      await expectRefused(sent);
    }
  });

  it(`when the properties ran, then at least ${MINIMUM_CASES} generated cases were sent and the database is as it was`, async () => {
    expect(cases).toBeGreaterThanOrEqual(MINIMUM_CASES);
    expect(await rowCounts()).toEqual(baseline);
  });
});

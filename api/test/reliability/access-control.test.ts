import jwt from "jsonwebtoken";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAccessToken } from "../../src/auth/access-tokens.js";
import { ManualClock } from "../../src/platform/clock.js";
import { createUser } from "../helpers/auth.js";
import { checkoutOne, createBuyer, createProduct, eventOf, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let owner: Awaited<ReturnType<typeof createBuyer>>;
let other: Awaited<ReturnType<typeof createBuyer>>;
let admin: Awaited<ReturnType<typeof createBuyer>>;
let productId: string;
let paid: { orderId: string; sessionId: string };

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "reliability-access-control", env: { CHECKOUT_RATE_LIMIT: "1000", METRICS_TOKEN: "metrics-scrape-token-for-tests" } });
  owner = await createBuyer(t.ctx);
  other = await createBuyer(t.ctx);
  admin = await createBuyer(t.ctx, "ADMIN");
  productId = (await createProduct(t.ctx, { unitAmount: 3000 })).id;
  paid = await checkoutOne(t, owner.auth, productId);
  const completed = eventOf(await t.stripe.completeSession(paid.sessionId, "paid"), "checkout.session.completed");
  expect((await sendEvent(t, completed)).status).toBe(200);
});
afterAll(() => t?.close());

/** Every route that needs a token, with a request that would succeed for the right caller. */
const protectedRoutes = () => [
  { name: "GET /auth/me", send: (auth?: string) => withAuth(request(t.app).get("/auth/me"), auth) },
  { name: "POST /payments/checkout-session", send: (auth?: string) => withAuth(request(t.app).post("/payments/checkout-session"), auth).send({ items: [{ productId, quantity: 1 }] }) },
  { name: "GET /payments/checkout-session/:sessionId", send: (auth?: string) => withAuth(request(t.app).get(`/payments/checkout-session/${paid.sessionId}`), auth) },
  { name: "GET /orders", send: (auth?: string) => withAuth(request(t.app).get("/orders"), auth) },
  { name: "GET /orders/:id", send: (auth?: string) => withAuth(request(t.app).get(`/orders/${paid.orderId}`), auth) },
  { name: "POST /admin/orders/:id/refunds", send: (auth?: string) => withAuth(request(t.app).post(`/admin/orders/${paid.orderId}/refunds`), auth).send({ amount: 100 }) },
  { name: "GET /admin/metrics", send: (auth?: string) => withAuth(request(t.app).get("/admin/metrics"), auth) },
];

function withAuth(req: request.Test, auth?: string): request.Test {
  return auth === undefined ? req : req.set("Authorization", auth);
}

/** Credentials that must never get in: each is a way attackers try. */
function badCredentials(): { name: string; auth: string | undefined }[] {
  const { auth } = t.ctx.config;
  const claims = { userId: admin.user.id, role: "ADMIN" as const };
  const now = Math.floor(Date.now() / 1000);
  const validPayload = { sub: admin.user.id, role: "ADMIN", iat: now, exp: now + 600, iss: auth.issuer, aud: auth.audience };
  return [
    { name: "no token", auth: undefined },
    { name: "a malformed token", auth: "Bearer not-a-token" },
    { name: "another scheme", auth: `Basic ${signAccessToken(auth, t.clock, claims)}` },
    { name: "an expired token", auth: `Bearer ${signAccessToken(auth, new ManualClock(new Date(t.clock.now().getTime() - 2 * 3600_000)), claims)}` },
    { name: "a token signed with another secret", auth: `Bearer ${signAccessToken({ ...auth, jwtSecret: "another-secret-of-at-least-32-characters!" }, t.clock, claims)}` },
    { name: "alg none", auth: `Bearer ${base64url({ alg: "none", typ: "JWT" })}.${base64url(validPayload)}.` },
    { name: "HS512 with the right secret", auth: `Bearer ${jwt.sign(validPayload, auth.jwtSecret, { algorithm: "HS512" })}` },
    { name: "another audience", auth: `Bearer ${jwt.sign({ ...validPayload, aud: "another-api" }, auth.jwtSecret, { algorithm: "HS256" })}` },
    { name: "a token issued in the future", auth: `Bearer ${jwt.sign({ ...validPayload, iat: now + 3600, exp: now + 7200 }, auth.jwtSecret, { algorithm: "HS256" })}` },
  ];
}

const counts = async () => ({
  orders: await t.ctx.prisma.order.count(),
  refunds: await t.ctx.prisma.refund.count(),
  keys: await t.ctx.prisma.idempotencyKey.count(),
  users: await t.ctx.prisma.user.count(),
});

describe("access control matrix", () => {
  it("when any protected route gets a missing, expired, forged, alg-none or foreign token, then 401 problem+json and nothing is written", async () => {
    const before = await counts();
    const seen: string[] = [];
    for (const route of protectedRoutes()) {
      for (const credential of badCredentials()) {
        const res = await route.send(credential.auth);
        seen.push(`${route.name} with ${credential.name}: ${res.status} ${res.body?.code}`);
        expect(res.headers["content-type"]).toContain("application/problem+json");
      }
    }
    expect(seen.filter((line) => !line.endsWith(": 401 UNAUTHENTICATED"))).toEqual([]);
    expect(seen).toHaveLength(7 * 9);
    expect(await counts()).toEqual(before);
    expect(await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: paid.orderId } })).toMatchObject({ status: "paid", refundedAmount: 0 });
  });

  it("when another user asks for an order or a session by id (BOLA), then 404 without any of its data, and lists show only their own", async () => {
    const foreignOrder = await request(t.app).get(`/orders/${paid.orderId}`).set("Authorization", other.auth);
    const foreignSession = await request(t.app).get(`/payments/checkout-session/${paid.sessionId}`).set("Authorization", other.auth);
    const list = await request(t.app).get("/orders").set("Authorization", other.auth);

    for (const res of [foreignOrder, foreignSession]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe("NOT_FOUND");
      expect(res.text).not.toContain(paid.orderId);
      expect(res.text).not.toContain(owner.user.id);
    }
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([]);
    // The owner and an admin do see it: the 404 is about the caller, not the order.
    expect((await request(t.app).get(`/orders/${paid.orderId}`).set("Authorization", owner.auth)).status).toBe(200);
    expect((await request(t.app).get(`/orders/${paid.orderId}`).set("Authorization", admin.auth)).body.order).toMatchObject({ id: paid.orderId, status: "paid" });
    expect(await t.ctx.prisma.order.count({ where: { userId: other.user.id } })).toBe(0);
  });

  it("when a user calls admin routes (with their own token, or one claiming ADMIN after a demotion), then 403 and no refund exists", async () => {
    const demoted = await createUser(t.ctx, { role: "USER" });
    const claimsAdmin = `Bearer ${signAccessToken(t.ctx.config.auth, t.clock, { userId: demoted.user.id, role: "ADMIN" })}`;
    for (const auth of [owner.auth, other.auth, claimsAdmin]) {
      const refund = await request(t.app).post(`/admin/orders/${paid.orderId}/refunds`).set("Authorization", auth).send({ amount: 100 });
      const metrics = await request(t.app).get("/admin/metrics").set("Authorization", auth);
      expect([refund.status, refund.body.code, metrics.status, metrics.body.code]).toEqual([403, "FORBIDDEN", 403, "FORBIDDEN"]);
    }
    expect(await t.ctx.prisma.refund.count({ where: { orderId: paid.orderId } })).toBe(0);
    expect([...t.stripe.refunds.values()]).toHaveLength(0);
    expect(await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: paid.orderId } })).toMatchObject({ status: "paid", refundedAmount: 0 });
  });

  it("when /metrics is scraped without its token, then 401; with it, 200", async () => {
    expect((await request(t.app).get("/metrics")).status).toBe(401);
    expect((await request(t.app).get("/metrics").set("Authorization", admin.auth)).status).toBe(401);
    expect((await request(t.app).get("/metrics").set("Authorization", "Bearer metrics-scrape-token-for-tests")).status).toBe(200);
    expect(await t.ctx.prisma.refund.count()).toBe(0);
  });
});

describe("mass assignment", () => {
  const attempts = () => [
    { name: "register as ADMIN", send: () => request(t.app).post("/auth/register").send({ email: "mass-assign@example.test", password: "Pw-SuiteMarker-mass-0123", role: "ADMIN" }), field: "role" },
    { name: "register pre-activated with an id", send: () => request(t.app).post("/auth/register").send({ email: "mass-assign@example.test", password: "Pw-SuiteMarker-mass-0123", isActive: true, id: other.user.id }), field: "isActive" },
    { name: "login with a role", send: () => request(t.app).post("/auth/login").send({ email: owner.user.email, password: "x", role: "ADMIN" }), field: "role" },
    { name: "refresh with a role", send: () => request(t.app).post("/auth/refresh").send({ role: "ADMIN" }), field: "role" },
    { name: "checkout with the total", send: () => checkoutWith({ items: [{ productId, quantity: 1 }], amountTotal: 1 }), field: "amountTotal" },
    { name: "checkout with a status", send: () => checkoutWith({ items: [{ productId, quantity: 1 }], status: "paid" }), field: "status" },
    { name: "checkout for another user", send: () => checkoutWith({ items: [{ productId, quantity: 1 }], userId: other.user.id }), field: "userId" },
    { name: "checkout with a unit price", send: () => checkoutWith({ items: [{ productId, quantity: 1, unitAmount: 1 }] }), field: "items.0.unitAmount" },
    { name: "checkout with a currency", send: () => checkoutWith({ items: [{ productId, quantity: 1 }], currency: "jpy" }), field: "currency" },
    { name: "refund with a status", send: () => refundWith({ amount: 100, status: "succeeded" }), field: "status" },
    { name: "refund of another order", send: () => refundWith({ amount: 100, orderId: other.user.id }), field: "orderId" },
  ];
  const checkoutWith = (body: object) => request(t.app).post("/payments/checkout-session").set("Authorization", owner.auth).send(body);
  const refundWith = (body: object) => request(t.app).post(`/admin/orders/${paid.orderId}/refunds`).set("Authorization", admin.auth).send(body);

  it("when a body carries fields the client may not set (role, status, amountTotal, userId, prices…), then 400 naming the field and nothing is written", async () => {
    const before = await counts();
    const sessionsBefore = t.stripe.sessions.size;
    for (const attempt of attempts()) {
      const res = await attempt.send();
      expect([attempt.name, res.status, res.body.code]).toEqual([attempt.name, 400, "VALIDATION_FAILED"]);
      expect(res.body.errors, attempt.name).toHaveProperty([attempt.field]);
    }
    expect(await counts()).toEqual(before);
    expect(t.stripe.sessions.size).toBe(sessionsBefore);
    expect(await t.ctx.prisma.user.findUnique({ where: { email: "mass-assign@example.test" } })).toBeNull();
    expect(await t.ctx.prisma.user.count({ where: { role: "ADMIN" } })).toBe(1);
    expect(await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: paid.orderId } })).toMatchObject({ status: "paid", amountTotal: 3000, refundedAmount: 0 });
  });

  it("when the admin refunds with a well-formed body, then it works (the matrix above refused the others, not everyone)", async () => {
    const res = await refundWith({ amount: 100 });
    expect(res.status).toBe(201);
    expect(await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: paid.orderId } })).toMatchObject({ status: "partially_refunded", refundedAmount: 100 });
  });
});

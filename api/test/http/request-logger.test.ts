import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createUser, login } from "../helpers/auth.js";
import type { LogLine } from "../helpers/logs.js";
import { checkoutOne, createBuyer, createProduct, eventOf, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;

// The test client connects from loopback, trusted as the load balancer: `req.ip` is the address it forwarded.
beforeAll(async () => {
  t = await setupPaymentsApp({ name: "request-logger", env: { TRUST_PROXY: "127.0.0.1,::1" } });
});
afterAll(() => t.close());

const lineOf = async (requestId: string): Promise<LogLine> => {
  await vi.waitFor(() => expect(t.logs.find((l) => l.requestId === requestId && l.res !== undefined)).toHaveLength(1));
  return t.logs.find((l) => l.requestId === requestId && l.res !== undefined)[0]!;
};

describe("the request line", () => {
  it("when an authenticated request is answered, then its line carries id, method, route, status, duration, client address and user id", async () => {
    const { user, password } = await createUser(t.ctx);
    const { accessToken } = await login(t.app, user.email, password);
    const res = await request(t.app)
      .get("/auth/me?probe=1")
      .set("Authorization", `Bearer ${accessToken}`)
      .set("X-Forwarded-For", "203.0.113.7")
      .set("X-Request-Id", "line-me-1");
    expect(res.status).toBe(200);
    const line = await lineOf("line-me-1");
    expect(line).toMatchObject({
      level: "info",
      msg: "request completed",
      req: { method: "GET", url: "/auth/me", route: "/auth/me", ip: "203.0.113.7" },
      userId: user.id,
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });

    await request(t.app).get("/auth/me").set("X-Request-Id", "line-anon-1");
    const anonymous = await lineOf("line-anon-1");
    expect(anonymous).toMatchObject({ level: "warn", req: { method: "GET", route: "/auth/me" }, res: { statusCode: 401 } });
    expect(anonymous).not.toHaveProperty("userId");
  });

  it("when a webhook event is applied, then the request's one line carries the event id, type and outcome", async () => {
    const product = await createProduct(t.ctx);
    const { auth } = await createBuyer(t.ctx);
    const { orderId, sessionId } = await checkoutOne(t, auth, product.id);
    const completed = eventOf(await t.stripe.completeSession(sessionId, "paid"), "checkout.session.completed");
    const res = await sendEvent(t, completed);
    expect(res.status).toBe(200);
    const requestId = res.headers["x-request-id"] as string;
    const line = await lineOf(requestId);
    expect(line).toMatchObject({
      level: "info",
      msg: "webhook event",
      req: { method: "POST", url: "/webhooks/stripe", route: "/webhooks/stripe" },
      res: { statusCode: 200 },
      eventId: completed.id,
      type: "checkout.session.completed",
      orderId,
      outcome: "processed",
    });
    expect(t.logs.find((l) => l.requestId === requestId)).toHaveLength(1);
  });

  it("when /health and /ready are polled, then their lines are debug, never info", async () => {
    await request(t.app).get("/health").set("X-Request-Id", "poll-health-1");
    await request(t.app).get("/ready").set("X-Request-Id", "poll-ready-1");
    expect((await lineOf("poll-health-1")).level).toBe("debug");
    expect((await lineOf("poll-ready-1")).level).toBe("debug");
  });

  it("when requests carry credentials and signatures, then no line carries Authorization, Cookie, Set-Cookie or Stripe-Signature", async () => {
    const { user, password } = await createUser(t.ctx);
    const { accessToken, cookie } = await login(t.app, user.email, password);
    await request(t.app).post("/auth/refresh").set("Cookie", cookie).set("X-Request-Id", "secret-refresh-1");
    await request(t.app).get("/auth/me").set("Authorization", `Bearer ${accessToken}`).set("Cookie", cookie).set("X-Request-Id", "secret-me-1");
    const signature = "t=1,v1=0000000000000000000000000000000000000000000000000000000000000000";
    await request(t.app).post("/webhooks/stripe").set("Stripe-Signature", signature).send("{}").set("X-Request-Id", "secret-hook-1");
    for (const id of ["secret-refresh-1", "secret-me-1", "secret-hook-1"]) await lineOf(id);

    const text = t.logs.lines.map((l) => JSON.stringify(l)).join("\n");
    expect(text).not.toContain(accessToken);
    expect(text).not.toContain(cookie.split("=")[1]!);
    expect(text).not.toContain(signature);
    expect(text).not.toMatch(/"(authorization|cookie|set-cookie|stripe-signature)"/i);
  });
});

import express, { type RequestHandler } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { errorHandler } from "../../../src/platform/http/error-handler.js";
import { requestBasics } from "../../../src/platform/http/request-id.js";
import { createRateLimiter } from "../../../src/platform/rate-limit/rate-limiter.js";
import { createUser } from "../../helpers/auth.js";
import { setupTestApp, type TestApp } from "../../helpers/app.js";

describe("createRateLimiter with a key of the caller's choosing", () => {
  let t: TestApp;
  let app: express.Express;
  beforeAll(async () => {
    t = await setupTestApp({ name: "rate-limiter" });
    // As the checkout router uses it: per authenticated user, whatever the IP.
    const fakeAuth: RequestHandler = (req, _res, next) => {
      req.user = { id: req.get("x-user") ?? "anonymous", role: "USER" };
      next();
    };
    app = express();
    app.use(requestBasics({ draining: false }));
    app.post("/things", fakeAuth, createRateLimiter(t.ctx, { name: "things", limit: 2, windowMs: 60_000, key: (req) => req.user!.id }), (_req, res) => {
      res.status(201).json({ ok: true });
    });
    app.use(errorHandler(t.ctx.logger));
  });
  afterAll(() => t.close());

  it("when one user exceeds the limit, then that user gets 429 problem+json with Retry-After and others do not", async () => {
    const as = (user: string) => request(app).post("/things").set("X-User", user);
    expect((await as("u1")).status).toBe(201);
    expect((await as("u1")).status).toBe(201);
    const limited = await as("u1");
    expect(limited.status).toBe(429);
    expect(limited.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ code: "RATE_LIMITED", status: 429 });
    expect(limited.headers["retry-after"]).toBe("60");
    expect((await as("u2")).status).toBe(201);

    t.clock.advance(60_000);
    expect((await as("u1")).status).toBe(201);
  });
});

describe("when REDIS_URL points at a Redis that cannot be reached", () => {
  let t: TestApp;
  beforeAll(async () => {
    // Port 1 refuses connections: the run-time Redis failure the fallback covers.
    t = await setupTestApp({ name: "rate-limit-fallback", env: { REDIS_URL: "redis://127.0.0.1:1", AUTH_RATE_LIMIT: "3" } });
  });
  afterAll(() => t.close());

  it("then logins keep working, limits still apply from memory, and the fallback is counted and logged once", async () => {
    const { user, password } = await createUser(t.ctx);
    const res = await request(t.app).post("/auth/login").send({ email: user.email, password });
    expect(res.status).toBe(200);
    expect(t.ctx.rateLimits.backend).toBe("redis");
    expect(t.ctx.rateLimits.fallbacks).toBeGreaterThan(0);
    const metrics = (await request(t.app).get("/metrics")).text;
    const exported = Number(/^rate_limit_redis_fallbacks_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    expect(exported).toBe(t.ctx.rateLimits.fallbacks);

    for (let i = 0; i < 3; i += 1) expect((await request(t.app).post("/auth/refresh")).status).toBe(401);
    expect((await request(t.app).post("/auth/refresh")).status).toBe(429);

    await vi.waitFor(() => expect(t.logs.withMessage("redis unavailable: rate limits fall back to this instance's memory")).toHaveLength(1));
    expect(t.logs.withMessage("redis unavailable: rate limits fall back to this instance's memory")[0]!.level).toBe("warn");
  });
});

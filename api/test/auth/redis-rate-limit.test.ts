import { randomBytes } from "node:crypto";
import type { Express } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/app.js";
import { ManualClock } from "../../src/platform/clock.js";
import { buildContext, type AppContext } from "../../src/context.js";
import { createLogger } from "../../src/platform/logger.js";
import { createRateLimitStore, type RateLimitStore } from "../../src/platform/rate-limit/rate-limit-store.js";
import { createUser } from "../helpers/auth.js";
import { setupTestApp, testConfig, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";
import { LogCapture } from "../helpers/logs.js";
import { expectProblem } from "./support.js";

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) process.stdout.write("skipping the Redis-backed rate limiter tests: REDIS_URL is not set\n");

/*
 * Two app instances, each with its own Redis connection, over one database and one Redis:
 * what one instance counts, the other enforces. Runs whenever REDIS_URL is set, and then
 * fails if Redis cannot be reached.
 */
describe.skipIf(!REDIS_URL)("rate limits shared through Redis by two instances", () => {
  const env = { REDIS_URL, AUTH_RATE_LIMIT: "6", LOGIN_FAILURE_LIMIT: "3" };
  const clock = new ManualClock(new Date());
  // A fresh namespace per run, so parallel or earlier runs never share counters with this one.
  const keyPrefix = `test:${randomBytes(6).toString("hex")}:`;
  let first: TestApp;
  let secondCtx: AppContext;
  let second: Express;
  const stores: RateLimitStore[] = [];
  const newStore = () => {
    const logger = createLogger({ level: "debug" }, new LogCapture(inject("logDir"), "auth-redis-store"));
    const created = createRateLimitStore({ redisUrl: REDIS_URL, clock, logger, keyPrefix });
    stores.push(created);
    return created;
  };

  beforeAll(async () => {
    first = await setupTestApp({ name: "auth-redis", env, overrides: { clock, rateLimits: newStore() } });
    secondCtx = buildContext(testConfig({ DATABASE_URL: first.databaseUrl, ...env }), {
      logger: createLogger({ level: "debug" }, first.logs),
      clock,
      rateLimits: newStore(),
    });
    second = createApp(secondCtx);
    for (const store of stores) expect(await store.ready(3000), "Redis at REDIS_URL must be reachable").toBe(true);
  });
  afterAll(async () => {
    await secondCtx?.close();
    await first?.close();
    for (const store of stores) await store.close();
  });

  it("when both instances are connected, then they use Redis, not their memory", () => {
    expect(first.ctx.rateLimits.backend).toBe("redis");
    expect(secondCtx.rateLimits.backend).toBe("redis");
  });

  it("when failures for one email alternate between instances, then the shared count locks it on both", async () => {
    const { user, password } = await createUser(first.ctx);
    const wrong = { email: user.email, password: testPassword("wrong") };
    expectProblem(await request(first.app).post("/auth/login").send(wrong), 401, "INVALID_CREDENTIALS");
    expectProblem(await request(second).post("/auth/login").send(wrong), 401, "INVALID_CREDENTIALS");
    expectProblem(await request(first.app).post("/auth/login").send(wrong), 401, "INVALID_CREDENTIALS");
    expectProblem(await request(second).post("/auth/login").send({ email: user.email, password }), 429, "RATE_LIMITED");
    expectProblem(await request(first.app).post("/auth/login").send({ email: user.email, password }), 429, "RATE_LIMITED");

    clock.advance(15 * 60_000);
    expect((await request(second).post("/auth/login").send({ email: user.email, password })).status).toBe(200);
  });

  it("when one client IP spreads requests over both instances, then one per-IP budget applies", async () => {
    clock.advance(61_000);
    const call = (app: Express) => request(app).post("/auth/refresh");
    for (const app of [first.app, second, first.app, second, first.app, second]) expect((await call(app)).status).toBe(401);
    const limited = await call(first.app);
    expectProblem(limited, 429, "RATE_LIMITED");
    expect(limited.headers["retry-after"]).toBe("60");
    expectProblem(await call(second), 429, "RATE_LIMITED");

    clock.advance(60_000);
    expect((await call(second)).status).toBe(401);
  });

  it("when everything ran, then no operation fell back to memory", () => {
    expect(first.ctx.rateLimits.fallbacks).toBe(0);
    expect(secondCtx.rateLimits.fallbacks).toBe(0);
  });
});

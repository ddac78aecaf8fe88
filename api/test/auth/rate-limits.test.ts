import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createUser, login } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";
import { expectProblem } from "./support.js";

// Per client IP, AUTH_RATE_LIMIT requests per minute on each of register, login, refresh.
const LIMIT = 3;

let direct: TestApp; // TRUST_PROXY=false (the default)
let behindProxy: TestApp; // TRUST_PROXY=127.0.0.1: the test connects as the balancer, whose X-Forwarded-For is believed
let elsewhereBalancer: TestApp; // TRUST_PROXY names a balancer the test is not: it connects directly
beforeAll(async () => {
  direct = await setupTestApp({ name: "auth-rate-limits", env: { AUTH_RATE_LIMIT: String(LIMIT) } });
  behindProxy = await setupTestApp({ name: "auth-rate-limits-proxy", env: { AUTH_RATE_LIMIT: String(LIMIT), TRUST_PROXY: "127.0.0.1" } });
  elsewhereBalancer = await setupTestApp({ name: "auth-rate-limits-direct", env: { AUTH_RATE_LIMIT: String(LIMIT), TRUST_PROXY: "10.9.9.9,2001:db8::9" } });
});
afterAll(async () => {
  await direct?.close();
  await behindProxy?.close();
  await elsewhereBalancer?.close();
});
// Each test starts in a fresh window: time moves, nothing sleeps.
beforeEach(() => {
  for (const t of [direct, behindProxy, elsewhereBalancer]) t.clock.advance(61_000);
});

const badLogin = (t: TestApp) => request(t.app).post("/auth/login").send({ email: `nobody-${Math.random()}@example.test`, password: testPassword() });

const routes = {
  register: (t: TestApp) => request(t.app).post("/auth/register").send({ email: "not-an-email", password: "x" }),
  login: badLogin,
  refresh: (t: TestApp) => request(t.app).post("/auth/refresh"),
};

describe("per-IP limits on register, login and refresh", () => {
  it.each(Object.keys(routes) as (keyof typeof routes)[])(
    "when %s is called more than AUTH_RATE_LIMIT times in a minute, then 429 RATE_LIMITED with Retry-After until the window ends",
    async (route) => {
      const call = () => routes[route](direct);
      for (let i = 0; i < LIMIT; i += 1) expect((await call()).status).not.toBe(429);

      const limited = await call();
      expectProblem(limited, 429, "RATE_LIMITED");
      expect(limited.headers["retry-after"]).toBe("60");

      direct.clock.advance(45_000);
      const stillLimited = await call();
      expectProblem(stillLimited, 429, "RATE_LIMITED");
      expect(stillLimited.headers["retry-after"]).toBe("15");

      direct.clock.advance(15_000);
      expect((await call()).status).not.toBe(429);
    },
  );

  it("when login's budget is spent, then refresh and register still have theirs", async () => {
    for (let i = 0; i <= LIMIT; i += 1) await badLogin(direct);
    expectProblem(await badLogin(direct), 429, "RATE_LIMITED");
    expect((await routes.refresh(direct)).status).toBe(401);
    expect((await routes.register(direct)).status).toBe(400);
  });

  it("when the limiters have run, then express-rate-limit reported no misconfiguration (ERR_ERL_*)", async () => {
    for (let i = 0; i <= LIMIT; i += 1) await badLogin(behindProxy).set("X-Forwarded-For", "203.0.113.99");
    for (const t of [direct, behindProxy]) expect(JSON.stringify(t.logs.lines)).not.toContain("ERR_ERL_");
  });

  it("when the limit is reached, then a line is logged naming the limiter", async () => {
    for (let i = 0; i <= LIMIT; i += 1) await badLogin(direct);
    expect(direct.logs.find((l) => l.msg === "rate limit reached" && l.limiter === "auth-login").length).toBeGreaterThan(0);
  });
});

describe("client IP and trust proxy", () => {
  it("when TRUST_PROXY=false and each request forges a new X-Forwarded-For, then they still share one budget", async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      expect((await badLogin(direct).set("X-Forwarded-For", `203.0.113.${i + 1}`)).status).toBe(401);
    }
    expectProblem(await badLogin(direct).set("X-Forwarded-For", "198.51.100.77"), 429, "RATE_LIMITED");
  });

  it("when TRUST_PROXY names the balancer and a client reaching the port directly forges a new X-Forwarded-For each time, then it gets no fresh budget", async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      expect((await badLogin(elsewhereBalancer).set("X-Forwarded-For", `203.0.113.${i + 1}`)).status).toBe(401);
    }
    expectProblem(await badLogin(elsewhereBalancer).set("X-Forwarded-For", "198.51.100.77, 10.9.9.9"), 429, "RATE_LIMITED");
  });

  it("when the request comes through the trusted balancer, then the proxy-reported client address is what is limited", async () => {
    const from = (ip: string) => badLogin(behindProxy).set("X-Forwarded-For", ip);
    for (let i = 0; i < LIMIT; i += 1) expect((await from("203.0.113.10")).status).toBe(401);
    expectProblem(await from("203.0.113.10"), 429, "RATE_LIMITED");
    // A different client behind the same proxy has its own budget.
    expect((await from("203.0.113.11")).status).toBe(401);
  });

  it("when IPv6 clients share a /56, then they share a budget", async () => {
    const from = (ip: string) => badLogin(behindProxy).set("X-Forwarded-For", ip);
    for (let i = 0; i < LIMIT; i += 1) expect((await from(`2001:db8:0:a${i}::1`)).status).toBe(401);
    expectProblem(await from("2001:db8:0:ff::2"), 429, "RATE_LIMITED");
  });

  it("when a limited client logs in after the window, then a real login works", async () => {
    const { user, password } = await createUser(direct.ctx);
    for (let i = 0; i <= LIMIT; i += 1) await badLogin(direct);
    expectProblem(await request(direct.app).post("/auth/login").send({ email: user.email, password }), 429, "RATE_LIMITED");
    direct.clock.advance(60_000);
    expect((await login(direct.app, user.email, password)).accessToken).toEqual(expect.any(String));
  });
});

import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";
import { expectProblem, refreshCookieOf } from "./support.js";

// Defaults: 10 failures per (email, client address) within 15 minutes; a per-email ceiling
// of 20 here (100 by default). The test connects as the trusted balancer (TRUST_PROXY=127.0.0.1),
// so X-Forwarded-For names the client, and AUTH_RATE_LIMIT is out of the way.
let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-login-lock", env: { TRUST_PROXY: "127.0.0.1", LOGIN_FAILURE_EMAIL_LIMIT: "20", AUTH_RATE_LIMIT: "10000", BCRYPT_QUEUE_LIMIT: "100" } });
});
afterAll(() => t.close());

let ip = 0;
/** A new client address per call. */
const nextIp = () => `198.51.${Math.floor((ip += 1) / 250)}.${(ip % 250) + 1}`;
const OWNER_IP = "203.0.113.7";

const attempt = (email: string, password: string, from = OWNER_IP, cookie?: string) => {
  const req = request(t.app).post("/auth/login").set("X-Forwarded-For", from);
  if (cookie) req.set("Cookie", cookie);
  return req.send({ email, password });
};

const fail = async (email: string, times: number, from: () => string = () => OWNER_IP) => {
  for (let i = 0; i < times; i += 1) expectProblem(await attempt(email, testPassword("wrong"), from()), 401, "INVALID_CREDENTIALS");
};

describe("a stranger cannot lock the owner out", () => {
  it("when a stranger fails 30 times from another address, then the stranger's pair gets 429 and the owner still logs in from theirs", async () => {
    const { user, password } = await createUser(t.ctx);
    const stranger = "192.0.2.66";
    await fail(user.email, 10, () => stranger);
    for (let i = 0; i < 20; i += 1) expectProblem(await attempt(user.email, testPassword("wrong"), stranger), 429, "RATE_LIMITED");

    expect((await attempt(user.email, password, OWNER_IP)).status).toBe(200);
    // Even the right password from the stranger's address waits for the window.
    expectProblem(await attempt(user.email, password, stranger), 429, "RATE_LIMITED");
  });

  it("when failures from many addresses reach the per-email ceiling, then a new browser gets 429 but the owner's known device logs in", async () => {
    const { user, password } = await createUser(t.ctx);
    const first = await attempt(user.email, password, OWNER_IP);
    const knownDevice = refreshCookieOf(first);

    await fail(user.email, 20, nextIp);
    expectProblem(await attempt(user.email, password, nextIp()), 429, "RATE_LIMITED");
    expect(t.logs.find((l) => l.msg === "login refused: account locked" && l.userId === user.id && l.scope === "email").length).toBeGreaterThan(0);

    // A known device is exempt from the ceiling, from any address, its cookie spent or not.
    const owner = await attempt(user.email, password, nextIp(), knownDevice);
    expect(owner.status).toBe(200);
    await request(t.app).post("/auth/refresh").set("Cookie", refreshCookieOf(owner)).send();
    expect((await attempt(user.email, password, nextIp(), refreshCookieOf(owner))).status).toBe(200);
  });

  it("when the cookie belongs to another account, or is older than 90 days, then it does not exempt the login", async () => {
    const { user, password } = await createUser(t.ctx);
    const other = await createUser(t.ctx);
    const othersCookie = refreshCookieOf(await attempt(other.user.email, other.password, OWNER_IP));
    const ownCookie = refreshCookieOf(await attempt(user.email, password, OWNER_IP));

    await fail(user.email, 20, nextIp);
    expectProblem(await attempt(user.email, password, nextIp(), othersCookie), 429, "RATE_LIMITED");
    expectProblem(await attempt(user.email, password, nextIp(), "refresh_token=" + "A".repeat(43)), 429, "RATE_LIMITED");

    t.clock.advance(91 * 24 * 60 * 60_000);
    await fail(user.email, 20, nextIp);
    expectProblem(await attempt(user.email, password, nextIp(), ownCookie), 429, "RATE_LIMITED");
  });

  it("when a known device fails 10 times from one address, then that pair is still limited", async () => {
    const { user, password } = await createUser(t.ctx);
    const cookie = refreshCookieOf(await attempt(user.email, password, OWNER_IP));
    for (let i = 0; i < 10; i += 1) expectProblem(await attempt(user.email, testPassword("wrong"), OWNER_IP, cookie), 401, "INVALID_CREDENTIALS");
    expectProblem(await attempt(user.email, password, OWNER_IP, cookie), 429, "RATE_LIMITED");
  });

  it("when the email is unknown, wrong or inactive, then every failure has the same 401 body", async () => {
    const { user } = await createUser(t.ctx);
    const inactive = await createUser(t.ctx, { isActive: false });
    const bodies = [
      await attempt(`nobody-${Date.now()}@example.test`, testPassword(), nextIp()),
      await attempt(user.email, testPassword("wrong"), nextIp()),
      await attempt(inactive.user.email, inactive.password, nextIp()),
    ].map((res) => {
      expectProblem(res, 401, "INVALID_CREDENTIALS");
      const { requestId: _id, ...rest } = res.body as Record<string, unknown>;
      return rest;
    });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });
});

describe("per (email, address) login limit", () => {
  it("when 10 logins failed for one email from one address, then the 11th from it is 429 even with the right password, until the window ends", async () => {
    const { user, password } = await createUser(t.ctx);
    await fail(user.email, 10);

    const locked = await attempt(user.email, password);
    expectProblem(locked, 429, "RATE_LIMITED");
    expect(Number(locked.headers["retry-after"])).toBe(15 * 60);
    expect(locked.headers["set-cookie"]).toBeUndefined();

    t.clock.advance(14 * 60_000);
    const later = await attempt(user.email.toUpperCase(), password);
    expectProblem(later, 429, "RATE_LIMITED");
    expect(later.headers["retry-after"]).toBe("60");

    t.clock.advance(60_000);
    expect((await attempt(user.email, password)).status).toBe(200);
  });

  it("when an email is locked, then the locked answer is the same as any other limit and other emails still log in", async () => {
    const victim = await createUser(t.ctx);
    const other = await createUser(t.ctx);
    await fail(victim.user.email, 10);
    const locked = await attempt(victim.user.email, victim.password);
    expect(locked.body).toMatchObject({ code: "RATE_LIMITED", title: "Too many requests", detail: "Too many requests; retry later." });
    expect((await attempt(other.user.email, other.password)).status).toBe(200);
    expect(t.logs.find((l) => l.msg === "login refused: account locked" && l.userId === victim.user.id)).toHaveLength(1);
  });

  it("when a login succeeds, then earlier failures are forgiven", async () => {
    const { user, password } = await createUser(t.ctx);
    await fail(user.email, 9);
    expect((await attempt(user.email, password)).status).toBe(200);
    await fail(user.email, 10);
    expectProblem(await attempt(user.email, password), 429, "RATE_LIMITED");
  });

  it("when failures are spread over more than 15 minutes, then the window started by the first one has ended", async () => {
    const { user, password } = await createUser(t.ctx);
    await fail(user.email, 9);
    t.clock.advance(15 * 60_000);
    await fail(user.email, 9);
    expect((await attempt(user.email, password)).status).toBe(200);
  });

  it("when the email does not exist, then it is locked the same way, so the lock reveals nothing", async () => {
    const email = `ghost-${Date.now()}@example.test`;
    await fail(email, 10);
    expectProblem(await attempt(email, testPassword()), 429, "RATE_LIMITED");
  });

  it("when 20 wrong guesses for one email arrive in parallel, then at most 10 passwords are checked", async () => {
    const { user } = await createUser(t.ctx);
    const answers = await Promise.all(Array.from({ length: 20 }, () => attempt(user.email, testPassword("guess"))));
    expect(answers.filter((r) => r.status === 401)).toHaveLength(10);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(10);
  });
});

import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";
import { expectProblem } from "./support.js";

// Defaults: 10 failures per email within 15 minutes. Every attempt comes from a new IP
// (TRUST_PROXY=1 believes X-Forwarded-For), so the per-IP limit is never what stops it.
let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-login-lock", env: { TRUST_PROXY: "1" } });
});
afterAll(() => t.close());

let ip = 0;
const attempt = (email: string, password: string) =>
  request(t.app)
    .post("/auth/login")
    .set("X-Forwarded-For", `198.51.${Math.floor((ip += 1) / 250)}.${(ip % 250) + 1}`)
    .send({ email, password });

const fail = async (email: string, times: number) => {
  for (let i = 0; i < times; i += 1) expectProblem(await attempt(email, testPassword("wrong")), 401, "INVALID_CREDENTIALS");
};

describe("per-account login lock", () => {
  it("when 10 logins failed for one email from different IPs, then the 11th is 429 even with the right password, until the window ends", async () => {
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

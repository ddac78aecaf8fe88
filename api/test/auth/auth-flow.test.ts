import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { verifyAccessToken } from "../../src/auth/access-tokens.js";
import { accessTokenFor, createUser, login } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";
import { expectProblem, refreshCookieOf, withoutRequestId } from "./support.js";

let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-flow", env: { AUTH_RATE_LIMIT: "1000" } });
});
afterAll(() => t.close());

let counter = 0;
const uniqueEmail = () => `flow-${Date.now()}-${(counter += 1)}@example.test`;

describe("the whole session: register → login → me → refresh → logout", () => {
  it("when a user goes through every step, then each answers as documented and spent tokens are refused", async () => {
    const email = uniqueEmail();
    const password = testPassword("flow");

    const registered = await request(t.app).post("/auth/register").send({ email, password });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ user: { id: expect.any(String), email, role: "USER" } });

    const loggedIn = await request(t.app).post("/auth/login").send({ email, password });
    expect(loggedIn.status).toBe(200);
    expect(loggedIn.body).toEqual({ accessToken: expect.any(String), tokenType: "Bearer", expiresIn: 900, user: registered.body.user });
    expect(loggedIn.headers["cache-control"]).toBe("no-store");
    const firstCookie = refreshCookieOf(loggedIn);

    const me = await request(t.app).get("/auth/me").set("Authorization", `Bearer ${loggedIn.body.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: registered.body.user });

    const refreshed = await request(t.app).post("/auth/refresh").set("Cookie", firstCookie);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.user).toEqual(registered.body.user);
    expect(verifyAccessToken(t.ctx.config.auth, t.clock, refreshed.body.accessToken)).toEqual({ userId: registered.body.user.id, role: "USER" });
    const secondCookie = refreshCookieOf(refreshed);
    expect(secondCookie).not.toBe(firstCookie);

    // The first token is spent: presenting it again is refused (and counts as reuse).
    expectProblem(await request(t.app).post("/auth/refresh").set("Cookie", firstCookie), 401, "INVALID_REFRESH_TOKEN");

    const other = await createUser(t.ctx);
    const session = await login(t.app, other.user.email, other.password);
    const loggedOut = await request(t.app).post("/auth/logout").set("Cookie", session.cookie);
    expect(loggedOut.status).toBe(204);
    expect(loggedOut.headers["set-cookie"]?.[0]).toMatch(/^refresh_token=;.*Expires=Thu, 01 Jan 1970/);
    expectProblem(await request(t.app).post("/auth/refresh").set("Cookie", session.cookie), 401, "INVALID_REFRESH_TOKEN");
    const rows = await t.ctx.prisma.refreshToken.findMany({ where: { userId: other.user.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.revokedAt).not.toBeNull();
  });

  it("when logout comes without a cookie or with an unknown one, then it still answers 204", async () => {
    expect((await request(t.app).post("/auth/logout")).status).toBe(204);
    expect((await request(t.app).post("/auth/logout").set("Cookie", "refresh_token=nonsense")).status).toBe(204);
  });

  it("when refresh comes without a cookie, then 401 INVALID_REFRESH_TOKEN", async () => {
    expectProblem(await request(t.app).post("/auth/refresh"), 401, "INVALID_REFRESH_TOKEN");
  });
});

describe("POST /auth/register", () => {
  it("when the email has spaces and capitals, then it is stored trimmed and lower-cased", async () => {
    const email = uniqueEmail();
    const res = await request(t.app).post("/auth/register").send({ email: `  ${email.toUpperCase()} `, password: testPassword() });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(email);
    const row = await t.ctx.prisma.user.findUniqueOrThrow({ where: { email } });
    expect(row.passwordHash).toMatch(/^\$2b\$04\$/);
  });

  it("when the email is taken, also in another case, then 409 EMAIL_TAKEN and no second row", async () => {
    const { user } = await createUser(t.ctx);
    expectProblem(await request(t.app).post("/auth/register").send({ email: user.email, password: testPassword() }), 409, "EMAIL_TAKEN");
    expectProblem(await request(t.app).post("/auth/register").send({ email: user.email.toUpperCase(), password: testPassword() }), 409, "EMAIL_TAKEN");
    expect(await t.ctx.prisma.user.count({ where: { email: user.email } })).toBe(1);
  });

  it("when fields are missing, invalid or unknown, then 400 names each field", async () => {
    const missing = await request(t.app).post("/auth/register").send({});
    expectProblem(missing, 400, "VALIDATION_FAILED");
    expect(missing.body.errors).toEqual({ email: ["is required"], password: ["is required"] });

    const invalid = await request(t.app).post("/auth/register").send({ email: "not-an-email", password: "short", role: "ADMIN" });
    expectProblem(invalid, 400, "VALIDATION_FAILED");
    expect(invalid.body.errors).toEqual({
      email: ["must be a valid email address"],
      password: ["must be at least 12 characters"],
      role: ["is not allowed"],
    });

    const tooLong = await request(t.app).post("/auth/register").send({ email: uniqueEmail(), password: testPassword("x".repeat(120)) });
    expect(tooLong.body.errors).toEqual({ password: ["must be at most 128 characters"] });

    const wrongType = await request(t.app).post("/auth/register").send({ email: 42, password: ["x"] });
    expect(wrongType.body.errors).toEqual({ email: ["must be a string"], password: ["must be a string"] });
  });

  it("when the password has 12 characters outside ASCII, then they count as 12, not as bytes or UTF-16 units", async () => {
    const email = uniqueEmail();
    const twelveEmoji = "🔑".repeat(12);
    expect((await request(t.app).post("/auth/register").send({ email, password: "🔑".repeat(11) })).body.errors).toEqual({
      password: ["must be at least 12 characters"],
    });
    expect((await request(t.app).post("/auth/register").send({ email, password: twelveEmoji })).status).toBe(201);
    expect((await request(t.app).post("/auth/login").send({ email, password: twelveEmoji })).status).toBe(200);
  });
});

describe("POST /auth/login", () => {
  it("when unknown email, wrong password and inactive user are tried, then each gets the identical 401 body", async () => {
    const active = await createUser(t.ctx);
    const inactive = await createUser(t.ctx, { isActive: false });
    const unknown = await request(t.app).post("/auth/login").send({ email: uniqueEmail(), password: testPassword() });
    const wrong = await request(t.app).post("/auth/login").send({ email: active.user.email, password: testPassword("wrong") });
    const disabled = await request(t.app).post("/auth/login").send({ email: inactive.user.email, password: inactive.password });
    for (const res of [unknown, wrong, disabled]) {
      expectProblem(res, 401, "INVALID_CREDENTIALS");
      expect(res.headers["set-cookie"]).toBeUndefined();
    }
    expect(withoutRequestId(wrong.body)).toEqual(withoutRequestId(unknown.body));
    expect(withoutRequestId(disabled.body)).toEqual(withoutRequestId(unknown.body));
  });

  it("when the email is typed with spaces and capitals, then the account is found", async () => {
    const { user, password } = await createUser(t.ctx);
    const res = await request(t.app).post("/auth/login").send({ email: ` ${user.email.toUpperCase()}  `, password });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(user.id);
  });

  it("when fields are missing or unknown, then 400 names each field", async () => {
    const res = await request(t.app).post("/auth/login").send({ email: "a@example.test", remember: true });
    expectProblem(res, 400, "VALIDATION_FAILED");
    expect(res.body.errors).toEqual({ password: ["is required"], remember: ["is not allowed"] });
  });

  it("when the stored hash has a lower cost than configured, then a login upgrades it", async () => {
    const { user, password } = await createUser(t.ctx);
    const saved = t.ctx.config.auth.bcryptCost;
    t.ctx.config.auth.bcryptCost = 5;
    try {
      expect((await request(t.app).post("/auth/login").send({ email: user.email, password })).status).toBe(200);
    } finally {
      t.ctx.config.auth.bcryptCost = saved;
    }
    const row = await t.ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^\$2b\$05\$/);
  });

  it("when a login succeeds or fails, then one line per outcome names the user and never a secret", async () => {
    const { user, password } = await createUser(t.ctx);
    const ok = await request(t.app).post("/auth/login").send({ email: user.email, password });
    await request(t.app).post("/auth/login").send({ email: user.email, password: testPassword("nope") });
    await vi.waitFor(() => {
      expect(t.logs.find((l) => l.msg === "login succeeded" && l.userId === user.id)).toHaveLength(1);
      expect(t.logs.find((l) => l.msg === "login failed" && l.userId === user.id && l.outcome === "bad_credentials")).toHaveLength(1);
    });
    const text = JSON.stringify(t.logs.lines);
    const row = await t.ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    for (const secret of [password, ok.body.accessToken as string, refreshCookieOf(ok).split("=")[1]!, row.passwordHash, user.email]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe("GET /auth/me", () => {
  it("when no or a malformed Authorization header is sent, then 401 UNAUTHENTICATED", async () => {
    expectProblem(await request(t.app).get("/auth/me"), 401, "UNAUTHENTICATED");
    expectProblem(await request(t.app).get("/auth/me").set("Authorization", "Basic abc"), 401, "UNAUTHENTICATED");
    expectProblem(await request(t.app).get("/auth/me").set("Authorization", "Bearer not.a.jwt"), 401, "UNAUTHENTICATED");
  });

  it("when the user was deactivated after the token was issued, then 401", async () => {
    const { user } = await createUser(t.ctx);
    const token = accessTokenFor(t.ctx, user);
    await t.ctx.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
    expectProblem(await request(t.app).get("/auth/me").set("Authorization", `Bearer ${token}`), 401, "UNAUTHENTICATED");
  });
});

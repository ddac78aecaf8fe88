import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deactivateUser } from "../../src/auth/auth-service.js";
import { hashRefreshToken, issueRefreshToken, pruneRefreshTokens } from "../../src/auth/refresh-tokens.js";
import { createUser, login } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { expectProblem, refreshCookieOf } from "./support.js";

let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-refresh", env: { AUTH_RATE_LIMIT: "1000" } });
});
afterAll(() => t.close());

const refresh = (cookie: string) => request(t.app).post("/auth/refresh").set("Cookie", cookie);
const tokenOf = (cookie: string) => cookie.slice("refresh_token=".length);
const rowOf = (cookie: string) => t.ctx.prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: hashRefreshToken(tokenOf(cookie)) } });

describe("refresh token storage", () => {
  it("when a token is issued, then the database keeps its SHA-256 hash, family, expiry, and never the token", async () => {
    const { user, password } = await createUser(t.ctx);
    const { cookie } = await login(t.app, user.email, password);
    expect(tokenOf(cookie)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await rowOf(cookie);
    expect(row).toMatchObject({ userId: user.id, usedAt: null, revokedAt: null });
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.expiresAt.getTime() - t.clock.now().getTime()).toBe(2592000 * 1000);
    const stored = JSON.stringify(await t.ctx.prisma.refreshToken.findMany());
    expect(stored).not.toContain(tokenOf(cookie));
  });
});

describe("rotation and reuse detection", () => {
  it("when a token is refreshed, then it is spent and its successor is in the same family", async () => {
    const { user, password } = await createUser(t.ctx);
    const { cookie } = await login(t.app, user.email, password);
    const res = await refresh(cookie);
    expect(res.status).toBe(200);
    const [old, next] = [await rowOf(cookie), await rowOf(refreshCookieOf(res))];
    expect(old.usedAt).not.toBeNull();
    expect(next.familyId).toBe(old.familyId);
    expect(next.usedAt).toBeNull();
  });

  it("when a spent token is presented again, then 401 and the whole family is revoked, the newest token too", async () => {
    const { user, password } = await createUser(t.ctx);
    const { cookie: first } = await login(t.app, user.email, password);
    const second = refreshCookieOf(await refresh(first));

    expectProblem(await refresh(first), 401, "INVALID_REFRESH_TOKEN");
    const reuseLines = () => t.logs.find((l) => l.msg === "refresh token reuse detected: family revoked" && l.userId === user.id);
    expect(reuseLines()).toHaveLength(1);
    expect(reuseLines()[0]).toMatchObject({ level: "warn", familyId: (await rowOf(first)).familyId });

    expectProblem(await refresh(second), 401, "INVALID_REFRESH_TOKEN");
    const family = await t.ctx.prisma.refreshToken.findMany({ where: { userId: user.id } });
    expect(family).toHaveLength(2);
    expect(family.every((row) => row.revokedAt !== null)).toBe(true);
  });

  it("when 20 refreshes with one token run in parallel, then exactly one succeeds and the family ends revoked", async () => {
    const { user, password } = await createUser(t.ctx);
    const { cookie } = await login(t.app, user.email, password);

    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(cookie)));

    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(19);
    const winner = answers.find((r) => r.status === 200)!;
    expectProblem(await refresh(refreshCookieOf(winner)), 401, "INVALID_REFRESH_TOKEN");
    const rows = await t.ctx.prisma.refreshToken.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.revokedAt !== null)).toBe(true);
  });

  it("when another session of the same user exists, then reuse in one family leaves the other alone", async () => {
    const { user, password } = await createUser(t.ctx);
    const phone = await login(t.app, user.email, password);
    const laptop = await login(t.app, user.email, password);
    await refresh(phone.cookie);
    await refresh(phone.cookie); // reuse: revokes the phone's family
    expect((await refresh(laptop.cookie)).status).toBe(200);
  });

  it("when the token has expired, then it is refused and its family is not revoked", async () => {
    const { user, password } = await createUser(t.ctx);
    const { cookie } = await login(t.app, user.email, password);
    const saved = t.clock.now();
    try {
      t.clock.advance(2592000 * 1000 + 1);
      expectProblem(await refresh(cookie), 401, "INVALID_REFRESH_TOKEN");
    } finally {
      t.clock.set(saved);
    }
    expect((await rowOf(cookie)).revokedAt).toBeNull();
  });

  it("when the user was deactivated, then refresh is refused and the family revoked", async () => {
    const { user, password } = await createUser(t.ctx);
    const { cookie } = await login(t.app, user.email, password);
    await t.ctx.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
    expectProblem(await refresh(cookie), 401, "INVALID_REFRESH_TOKEN");
    expect((await rowOf(cookie)).revokedAt).not.toBeNull();
  });

  it("when refresh is refused, then the answer also clears the cookie", async () => {
    const res = await refresh("refresh_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expectProblem(res, 401, "INVALID_REFRESH_TOKEN");
    expect(res.headers["set-cookie"]?.[0]).toMatch(/^refresh_token=;/);
  });
});

describe("Origin check on refresh and logout", () => {
  it("when the Origin is not in CORS_ORIGINS, then 403 ORIGIN_NOT_ALLOWED and the token stays live", async () => {
    const { user, password } = await createUser(t.ctx);
    const { cookie } = await login(t.app, user.email, password);
    expectProblem(await refresh(cookie).set("Origin", "https://evil.test"), 403, "ORIGIN_NOT_ALLOWED");
    expectProblem(await request(t.app).post("/auth/logout").set("Cookie", cookie).set("Origin", "null"), 403, "ORIGIN_NOT_ALLOWED");
    expect(await rowOf(cookie)).toMatchObject({ usedAt: null, revokedAt: null });
  });

  it("when the Origin is allowed, then refresh and logout work", async () => {
    const { user, password } = await createUser(t.ctx);
    const { cookie } = await login(t.app, user.email, password);
    const res = await refresh(cookie).set("Origin", "http://shop.test");
    expect(res.status).toBe(200);
    expect((await request(t.app).post("/auth/logout").set("Cookie", refreshCookieOf(res)).set("Origin", "http://shop.test")).status).toBe(204);
  });
});

describe("pruneRefreshTokens", () => {
  it("when run, then expired and long-spent or long-revoked rows go, recent and live ones stay; a second run deletes nothing", async () => {
    const { user } = await createUser(t.ctx);
    const now = t.clock.now();
    const day = 24 * 60 * 60 * 1000;
    const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
    const issue = async (issuedAt: Date, ttlSeconds = 30 * 86400) =>
      hashRefreshToken((await issueRefreshToken(t.ctx.prisma, { userId: user.id, now: issuedAt, ttlSeconds })).token);

    const live = await issue(now);
    const expired = await issue(at(-2 * day), 86400);
    const recentlySpent = await issue(at(-day));
    const longSpent = await issue(at(-10 * day));
    const longRevoked = await issue(at(-10 * day));
    await t.ctx.prisma.refreshToken.update({ where: { tokenHash: recentlySpent }, data: { usedAt: at(-day) } });
    await t.ctx.prisma.refreshToken.update({ where: { tokenHash: longSpent }, data: { usedAt: at(-8 * day) } });
    await t.ctx.prisma.refreshToken.update({ where: { tokenHash: longRevoked }, data: { revokedAt: at(-8 * day) } });

    expect(await pruneRefreshTokens(t.ctx.prisma, now)).toBeGreaterThanOrEqual(3);
    const left = (await t.ctx.prisma.refreshToken.findMany({ where: { userId: user.id } })).map((r) => r.tokenHash);
    expect(left.sort()).toEqual([live, recentlySpent].sort());
    expect(left).not.toContain(expired);
    expect(await pruneRefreshTokens(t.ctx.prisma, now)).toBe(0);
  });
});

describe("family lock and lifetime", () => {
  const live = (familyId: string) =>
    t.ctx.prisma.refreshToken.count({ where: { familyId, usedAt: null, revokedAt: null, expiresAt: { gt: t.clock.now() } } });
  const logout = (cookie: string) => request(t.app).post("/auth/logout").set("Cookie", cookie).send();

  it("when rotation and logout of one family run at the same moment, 15 times, then no live token survives any of them", async () => {
    const { user, password } = await createUser(t.ctx);
    const survivors: number[] = [];
    for (let round = 0; round < 15; round += 1) {
      const { cookie } = await login(t.app, user.email, password);
      const { familyId } = await rowOf(cookie);
      await Promise.all([refresh(cookie), logout(cookie)]);
      survivors.push(await live(familyId));
    }
    expect(survivors).toEqual(Array(15).fill(0));
  });

  it("when an old spent token is replayed while its successor rotates, 15 times, then reuse detection leaves no live token", async () => {
    const { user, password } = await createUser(t.ctx);
    const survivors: number[] = [];
    for (let round = 0; round < 15; round += 1) {
      const { cookie: first } = await login(t.app, user.email, password);
      const second = refreshCookieOf(await refresh(first));
      const { familyId } = await rowOf(first);
      const answers = await Promise.all([refresh(second), refresh(first)]);
      expectProblem(answers[1]!, 401, "INVALID_REFRESH_TOKEN");
      survivors.push(await live(familyId));
    }
    expect(survivors).toEqual(Array(15).fill(0));
  });

  it("when a family rotates for weeks, then it still ends REFRESH_TOKEN_TTL_SECONDS after its login", async () => {
    const { user, password } = await createUser(t.ctx);
    const loggedInAt = t.clock.now().getTime();
    let { cookie } = await login(t.app, user.email, password);
    for (let day = 0; day < 29; day += 1) {
      t.clock.advance(24 * 60 * 60_000);
      const res = await refresh(cookie);
      expect(res.status).toBe(200);
      cookie = refreshCookieOf(res);
    }
    expect((await rowOf(cookie)).expiresAt.getTime()).toBe(loggedInAt + 2592000 * 1000);
    const last = await refresh(cookie);
    expect(last.status).toBe(200);
    expect(last.headers["set-cookie"]!.toString()).toMatch(/Max-Age=86400;/);

    t.clock.advance(24 * 60 * 60_000);
    expectProblem(await refresh(refreshCookieOf(last)), 401, "INVALID_REFRESH_TOKEN");
  });

  it("when a user is deactivated, then every family is revoked at once, even with a refresh running at that moment", async () => {
    const { user, password } = await createUser(t.ctx);
    const sessions = await Promise.all([login(t.app, user.email, password), login(t.app, user.email, password)]);
    await Promise.all([refresh(sessions[0]!.cookie), deactivateUser(t.ctx, user.id)]);

    expect(await t.ctx.prisma.refreshToken.count({ where: { userId: user.id, revokedAt: null } })).toBe(0);
    expect((await t.ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).isActive).toBe(false);
    expectProblem(await refresh(sessions[1]!.cookie), 401, "INVALID_REFRESH_TOKEN");
  });
});

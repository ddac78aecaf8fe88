import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../src/auth/passwords.js";
import { issueRefreshToken } from "../../src/auth/refresh-tokens.js";
import { seedAdmin } from "../../src/auth/seed-admin.js";
import { createUser } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";

let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-seed-admin" });
});
afterAll(() => t.close());

const BCRYPT = { bcryptCost: 4 };
const seed = (email?: string, password?: string) => seedAdmin(t.ctx, { email, password, ...BCRYPT });

describe("seedAdmin (npm run db:seed)", () => {
  it("when ADMIN_EMAIL and ADMIN_PASSWORD are set, then it creates the admin, and a second run changes nothing", async () => {
    const password = testPassword("admin");

    const created = await seed("  Admin-1@Example.TEST ", password);
    expect(created.action).toBe("created");
    const row = await t.ctx.prisma.user.findUniqueOrThrow({ where: { email: "admin-1@example.test" } });
    expect(row).toMatchObject({ role: "ADMIN", isActive: true });
    expect(await verifyPassword(password, row.passwordHash)).toBe(true);

    expect(await seed("admin-1@example.test", password)).toEqual({ action: "exists", userId: row.id });
    const again = await t.ctx.prisma.user.findUniqueOrThrow({ where: { id: row.id } });
    expect(again.passwordHash).toBe(row.passwordHash);
    expect(again.updatedAt).toEqual(row.updatedAt);
  });

  it("when the account exists deactivated, demoted and with another password, then the seed leaves it exactly as it is", async () => {
    const { user, password: ownPassword } = await createUser(t.ctx, { isActive: false });
    await issueRefreshToken(t.ctx.prisma, { userId: user.id, now: t.clock.now(), ttlSeconds: 3600 });
    const before = await t.ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } });

    expect(await seed(user.email, testPassword("new-admin"))).toEqual({ action: "exists", userId: user.id });

    const row = await t.ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row).toEqual(before);
    expect(row).toMatchObject({ role: "USER", isActive: false });
    expect(await verifyPassword(ownPassword, row.passwordHash)).toBe(true);
    expect(await t.ctx.prisma.refreshToken.count({ where: { userId: user.id, revokedAt: null } })).toBe(1);
  });

  it("when an admin was demoted after the first seed, then the next seed does not promote it again", async () => {
    const password = testPassword("demoted");
    const created = await seed("demoted-admin@example.test", password);
    if (created.action !== "created") throw new Error("expected a new admin");
    await t.ctx.prisma.user.update({ where: { id: created.userId }, data: { role: "USER" } });

    await seed("demoted-admin@example.test", password);
    expect(await t.ctx.prisma.user.findUniqueOrThrow({ where: { id: created.userId } })).toMatchObject({ role: "USER", isActive: true });
  });

  it("when neither variable is set, then it does nothing", async () => {
    expect(await seed()).toEqual({ action: "skipped" });
  });

  it("when a value breaks the rules, then it fails naming the variable, never the value", async () => {
    const elevenCharacters = testPassword().slice(0, 11);
    await expect(seed("admin@example.test", elevenCharacters)).rejects.toThrow(/^ADMIN_PASSWORD: must be at least 12 characters$/);
    await expect(seed("nope", testPassword())).rejects.toThrow(/^ADMIN_EMAIL: /);
    await expect(seed("admin@example.test")).rejects.toThrow(/must be set together/);
  });

  it("when it runs, then it logs the outcome with the user id and never the password or hash", async () => {
    const password = testPassword("logged");
    const result = await seed("admin-logs@example.test", password);
    const row = await t.ctx.prisma.user.findUniqueOrThrow({ where: { email: "admin-logs@example.test" } });
    expect(result).toEqual({ action: "created", userId: row.id });
    expect(t.logs.withMessage("admin user seeded").filter((l) => l.userId === row.id)).toEqual([
      expect.objectContaining({ level: "info", action: "created" }),
    ]);
    const text = JSON.stringify(t.logs.lines);
    expect(text).not.toContain(password);
    expect(text).not.toContain(row.passwordHash);
  });
});

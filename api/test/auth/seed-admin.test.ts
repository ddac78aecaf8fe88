import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../src/auth/passwords.js";
import { issueRefreshToken } from "../../src/auth/refresh-tokens.js";
import { seedAdmin } from "../../src/auth/seed-admin.js";
import type { AppContext } from "../../src/context.js";
import { createUser } from "../helpers/auth.js";
import { setupTestApp, testConfig, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";

let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-seed-admin" });
});
afterAll(() => t.close());

/** The test context with ADMIN_EMAIL / ADMIN_PASSWORD as given. */
const withAdminEnv = (env: Record<string, string | undefined>): AppContext => ({
  ...t.ctx,
  config: testConfig({ DATABASE_URL: t.databaseUrl, ...env }),
});

describe("seedAdmin (npm run db:seed)", () => {
  it("when ADMIN_EMAIL and ADMIN_PASSWORD are set, then it creates the admin, and a second run changes nothing", async () => {
    const password = testPassword("admin");
    const ctx = withAdminEnv({ ADMIN_EMAIL: "  Admin-1@Example.TEST ", ADMIN_PASSWORD: password });

    const created = await seedAdmin(ctx);
    expect(created.action).toBe("created");
    const row = await t.ctx.prisma.user.findUniqueOrThrow({ where: { email: "admin-1@example.test" } });
    expect(row).toMatchObject({ role: "ADMIN", isActive: true });
    expect(await verifyPassword(password, row.passwordHash)).toBe(true);

    expect(await seedAdmin(ctx)).toEqual({ action: "unchanged", userId: row.id });
    const again = await t.ctx.prisma.user.findUniqueOrThrow({ where: { id: row.id } });
    expect(again.passwordHash).toBe(row.passwordHash);
    expect(again.updatedAt).toEqual(row.updatedAt);
  });

  it("when the account exists as a deactivated user with another password, then it becomes an active admin and its sessions end", async () => {
    const { user } = await createUser(t.ctx, { isActive: false });
    await issueRefreshToken(t.ctx.prisma, { userId: user.id, now: t.clock.now(), ttlSeconds: 3600 });
    const password = testPassword("new-admin");

    expect(await seedAdmin(withAdminEnv({ ADMIN_EMAIL: user.email, ADMIN_PASSWORD: password }))).toEqual({ action: "updated", userId: user.id });

    const row = await t.ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row).toMatchObject({ role: "ADMIN", isActive: true });
    expect(await verifyPassword(password, row.passwordHash)).toBe(true);
    expect(await t.ctx.prisma.refreshToken.count({ where: { userId: user.id, revokedAt: null } })).toBe(0);
  });

  it("when neither variable is set, then it does nothing", async () => {
    expect(await seedAdmin(withAdminEnv({}))).toEqual({ action: "skipped" });
  });

  it("when a value breaks the rules, then it fails naming the variable, never the value", async () => {
    const elevenCharacters = testPassword().slice(0, 11);
    await expect(seedAdmin(withAdminEnv({ ADMIN_EMAIL: "admin@example.test", ADMIN_PASSWORD: elevenCharacters }))).rejects.toThrow(
      /^ADMIN_PASSWORD: must be at least 12 characters$/,
    );
    await expect(seedAdmin(withAdminEnv({ ADMIN_EMAIL: "nope", ADMIN_PASSWORD: testPassword() }))).rejects.toThrow(/^ADMIN_EMAIL: /);
    await expect(seedAdmin(withAdminEnv({ ADMIN_EMAIL: "admin@example.test" }))).rejects.toThrow(/must be set together/);
  });

  it("when it runs, then it logs the outcome with the user id and never the password or hash", async () => {
    const password = testPassword("logged");
    const result = await seedAdmin(withAdminEnv({ ADMIN_EMAIL: "admin-logs@example.test", ADMIN_PASSWORD: password }));
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

import type { AppContext } from "../context.js";
import { hashPassword, needsRehash, verifyPassword } from "./passwords.js";
import { revokeAllRefreshTokens } from "./refresh-tokens.js";
import { emailSchema, newPasswordSchema } from "./schema.js";

export type SeedAdminResult = { action: "skipped" } | { action: "created" | "updated" | "unchanged"; userId: string };

/**
 * Creates or updates the admin from ADMIN_EMAIL / ADMIN_PASSWORD (config.seed), for
 * `npm run db:seed`. Idempotent: a second run with the same values writes nothing. A
 * changed password ends the admin's existing sessions. Never logs the password or its hash;
 * a value that breaks the policy is reported by variable name only.
 */
export async function seedAdmin(ctx: Pick<AppContext, "prisma" | "logger" | "config" | "clock">): Promise<SeedAdminResult> {
  const { adminEmail, adminPassword } = ctx.config.seed;
  if (!adminEmail && !adminPassword) return { action: "skipped" };
  if (!adminEmail || !adminPassword) throw new Error("ADMIN_EMAIL and ADMIN_PASSWORD must be set together");
  const email = emailSchema.safeParse(adminEmail);
  if (!email.success) throw new Error(`ADMIN_EMAIL: ${email.error.issues[0]?.message ?? "is invalid"}`);
  const password = newPasswordSchema.safeParse(adminPassword);
  if (!password.success) throw new Error(`ADMIN_PASSWORD: ${password.error.issues[0]?.message ?? "is invalid"}`);

  const cost = ctx.config.auth.bcryptCost;
  const existing = await ctx.prisma.user.findUnique({ where: { email: email.data } });
  const samePassword = existing ? await verifyPassword(adminPassword, existing.passwordHash) : false;
  let result: SeedAdminResult;
  if (!existing) {
    const user = await ctx.prisma.user.create({
      data: { email: email.data, passwordHash: await hashPassword(adminPassword, cost), role: "ADMIN" },
    });
    result = { action: "created", userId: user.id };
  } else if (samePassword && !needsRehash(existing.passwordHash, cost) && existing.role === "ADMIN" && existing.isActive) {
    result = { action: "unchanged", userId: existing.id };
  } else {
    const passwordHash = samePassword && !needsRehash(existing.passwordHash, cost) ? existing.passwordHash : await hashPassword(adminPassword, cost);
    await ctx.prisma.$transaction(async (tx) => {
      await tx.user.update({ where: { id: existing.id }, data: { passwordHash, role: "ADMIN", isActive: true } });
      if (!samePassword) await revokeAllRefreshTokens(tx, existing.id, ctx.clock.now());
    });
    result = { action: "updated", userId: existing.id };
  }
  ctx.logger.info({ userId: result.userId, action: result.action }, "admin user seeded");
  return result;
}

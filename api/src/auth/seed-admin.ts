import type { AppContext } from "../context.js";
import { hashPassword } from "./passwords.js";
import { emailSchema, newPasswordSchema } from "./schema.js";

export type SeedAdminResult = { action: "skipped" } | { action: "created" | "exists"; userId: string };

export interface SeedAdminInput {
  /** ADMIN_EMAIL and ADMIN_PASSWORD: read by `npm run db:seed` only, never by the server. */
  email?: string;
  password?: string;
  bcryptCost: number;
}

/**
 * Creates the admin from ADMIN_EMAIL / ADMIN_PASSWORD once, for `npm run db:seed`. An
 * account that already has the email is left exactly as it is: a seed re-run on every
 * deploy must not re-activate a deactivated admin, re-promote a demoted one or reset a
 * password. Never logs the password or its hash; a value that breaks the policy is
 * reported by variable name only.
 */
export async function seedAdmin(ctx: Pick<AppContext, "prisma" | "logger">, input: SeedAdminInput): Promise<SeedAdminResult> {
  if (!input.email && !input.password) return { action: "skipped" };
  if (!input.email || !input.password) throw new Error("ADMIN_EMAIL and ADMIN_PASSWORD must be set together");
  const email = emailSchema.safeParse(input.email);
  if (!email.success) throw new Error(`ADMIN_EMAIL: ${email.error.issues[0]?.message ?? "is invalid"}`);
  const password = newPasswordSchema.safeParse(input.password);
  if (!password.success) throw new Error(`ADMIN_PASSWORD: ${password.error.issues[0]?.message ?? "is invalid"}`);

  const existing = await ctx.prisma.user.findUnique({ where: { email: email.data }, select: { id: true } });
  let result: SeedAdminResult;
  if (existing) {
    result = { action: "exists", userId: existing.id };
  } else {
    const passwordHash = await hashPassword(input.password, input.bcryptCost);
    // upsert with an empty update: a seed running at the same time may have created it first.
    const user = await ctx.prisma.user.upsert({
      where: { email: email.data },
      create: { email: email.data, passwordHash, role: "ADMIN" },
      update: {},
      select: { id: true },
    });
    result = { action: "created", userId: user.id };
  }
  ctx.logger.info({ userId: result.userId, action: result.action }, "admin user seeded");
  return result;
}

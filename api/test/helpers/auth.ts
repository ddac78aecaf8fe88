import { randomUUID } from "node:crypto";
import type { Express } from "express";
import request from "supertest";
import { signAccessToken } from "../../src/auth/access-tokens.js";
import { hashPassword } from "../../src/auth/passwords.js";
import type { AppContext } from "../../src/context.js";
import type { User } from "../../src/generated/prisma/client.js";
import { testPassword } from "./constants.js";

export interface CreatedUser {
  user: User;
  /** The plain password (contains the log-scan marker). */
  password: string;
}

/** A user row straight in the database; a unique email per call. */
export async function createUser(
  ctx: AppContext,
  options: { email?: string; password?: string; role?: "USER" | "ADMIN"; isActive?: boolean } = {},
): Promise<CreatedUser> {
  const suffix = randomUUID().slice(0, 8);
  const password = options.password ?? testPassword(suffix);
  const user = await ctx.prisma.user.create({
    data: {
      email: (options.email ?? `user-${suffix}@example.test`).trim().toLowerCase(),
      passwordHash: await hashPassword(password, ctx.config.auth.bcryptCost),
      role: options.role ?? "USER",
      isActive: options.isActive ?? true,
    },
  });
  return { user, password };
}

/** A valid access token for the user, signed at the context's clock. */
export function accessTokenFor(ctx: AppContext, user: Pick<User, "id" | "role">): string {
  return signAccessToken(ctx.config.auth, ctx.clock, { userId: user.id, role: user.role });
}

/** Logs in through the API; returns the access token and the `refresh_token=…` cookie pair. */
export async function login(app: Express, email: string, password: string): Promise<{ accessToken: string; cookie: string }> {
  const res = await request(app).post("/auth/login").send({ email, password });
  if (res.status !== 200) throw new Error(`login failed with ${res.status}: ${res.body?.code}`);
  const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
  const cookie = setCookie.map((c) => c.split(";")[0]!).find((c) => c.startsWith("refresh_token="));
  if (!cookie) throw new Error("login answered without a refresh_token cookie");
  return { accessToken: res.body.accessToken as string, cookie };
}

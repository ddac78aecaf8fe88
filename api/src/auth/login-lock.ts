import { createHash } from "node:crypto";
import type { AppContext } from "../context.js";
import { secondsUntil } from "../platform/rate-limit/rate-limiter.js";

/** Redis keys carry a hash of the email (and address), not the values themselves. */
const digest = (...parts: string[]) => createHash("sha256").update(parts.join("\n")).digest("hex");
const pairKey = (email: string, client: string) => `login-failures:pair:${digest(email, client)}`;
const emailKey = (email: string) => `login-failures:email:${digest(email)}`;

export type LoginGate =
  | { allowed: true; pass: LoginPass }
  | { allowed: false; retryAfterSeconds: number; scope: "pair" | "email" };

/** What an admitted attempt counted, so a success can take it back. */
export interface LoginPass {
  email: string;
  client: string;
  countedForEmail: boolean;
}

/**
 * Brute-force limits on password checks, counted *before* the password is checked so that
 * parallel guesses cannot slip past a limit between a check and its count:
 * - per (email, client address): LOGIN_FAILURE_LIMIT in the window, then 429 for that pair
 *   only. A stranger guessing from elsewhere spends their own pair, never the owner's.
 * - per email from all addresses: LOGIN_FAILURE_EMAIL_LIMIT, the credential-stuffing
 *   ceiling. A known device (a refresh cookie issued to this account recently) is neither
 *   counted nor stopped by it, so strangers cannot lock the owner out of their own browser.
 * Windows start with their first attempt. Counters live in ctx.rateLimits (Redis when set).
 */
export async function enterLoginAttempt(
  ctx: AppContext,
  input: { email: string; client: string; knownDevice: boolean },
): Promise<LoginGate> {
  const { loginFailureLimit, loginFailureEmailLimit, loginFailureWindowMs } = ctx.config.auth;
  const pair = await ctx.rateLimits.hit(pairKey(input.email, input.client), loginFailureWindowMs);
  if (pair.count > loginFailureLimit) return { allowed: false, retryAfterSeconds: secondsUntil(ctx, pair.resetAt), scope: "pair" };
  const pass = { email: input.email, client: input.client, countedForEmail: !input.knownDevice };
  if (input.knownDevice) return { allowed: true, pass };
  const email = await ctx.rateLimits.hit(emailKey(input.email), loginFailureWindowMs);
  if (email.count > loginFailureEmailLimit) {
    // This attempt checks no password, so it is not a failure of the pair.
    await ctx.rateLimits.undo(pairKey(input.email, input.client));
    return { allowed: false, retryAfterSeconds: secondsUntil(ctx, email.resetAt), scope: "email" };
  }
  return { allowed: true, pass };
}

/**
 * After a successful login the pair's failures are forgiven and this attempt is taken back
 * from the email's count. The email's earlier failures stay: a success by the owner must not
 * hand strangers a fresh ceiling.
 */
export async function clearLoginAttempts(ctx: AppContext, pass: LoginPass): Promise<void> {
  await ctx.rateLimits.reset(pairKey(pass.email, pass.client));
  if (pass.countedForEmail) await ctx.rateLimits.undo(emailKey(pass.email));
}

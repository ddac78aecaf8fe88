import { createHash } from "node:crypto";
import type { AppContext } from "../context.js";
import { secondsUntil } from "../rate-limit/rate-limiter.js";

/** Redis keys carry a hash of the email, not the address itself. */
const keyFor = (email: string) => `login-attempts:${createHash("sha256").update(email).digest("hex")}`;

export type LoginGate = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * The per-account brute-force limit, whatever the client's IP: at most LOGIN_FAILURE_LIMIT
 * password checks per email in a window that starts with the first one; after that the
 * email is locked until the window ends. Every attempt is counted *before* the password is
 * checked, and a success takes the count back to zero, so parallel guesses cannot slip
 * past the limit between a check and its count. Lives in ctx.rateLimits (Redis when set).
 */
export async function enterLoginAttempt(ctx: AppContext, email: string): Promise<LoginGate> {
  const { loginFailureLimit, loginFailureWindowMs } = ctx.config.auth;
  const window = await ctx.rateLimits.hit(keyFor(email), loginFailureWindowMs);
  if (window.count <= loginFailureLimit) return { allowed: true };
  return { allowed: false, retryAfterSeconds: secondsUntil(ctx, window.resetAt) };
}

/** After a successful login the account's failures are forgiven. */
export async function clearLoginAttempts(ctx: AppContext, email: string): Promise<void> {
  await ctx.rateLimits.reset(keyFor(email));
}

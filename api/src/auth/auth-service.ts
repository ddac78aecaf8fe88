import type { Config } from "../platform/config.js";
import type { AppContext } from "../context.js";
import { isUniqueViolation } from "../platform/db/errors.js";
import { AppError, rateLimited, unauthenticated } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import { signAccessToken, type Role } from "./access-tokens.js";
import { clearLoginAttempts, enterLoginAttempt } from "./login-lock.js";
import { dummyHash, hashPassword, hashQueue, isClientGone, needsRehash, queueFull, verifyPassword, type Admission, type HashQueue } from "./passwords.js";
import { isKnownDevice, issueRefreshToken, revokeAllRefreshTokens, revokeRefreshTokenFamily, rotateRefreshToken, type IssuedRefreshToken } from "./refresh-tokens.js";
import type { LoginInput, RegisterInput } from "./schema.js";

export interface PublicUser {
  id: string;
  email: string;
  role: Role;
}

export interface Session {
  accessToken: string;
  expiresIn: number;
  user: PublicUser;
  refresh: IssuedRefreshToken;
}

const toPublic = (user: PublicUser): PublicUser => ({ id: user.id, email: user.email, role: user.role });

// One body for unknown email, wrong password and inactive user: nothing to enumerate.
const invalidCredentials = () => new AppError("INVALID_CREDENTIALS", "The email or password is incorrect.");
const invalidRefreshToken = () => new AppError("INVALID_REFRESH_TOKEN", "The refresh token is invalid or expired; log in again.");

/** Where a password check comes from, for the limits and the hashing queue. */
export interface ClientInput {
  /** The client's address as TRUST_PROXY resolves it (rate-limit key form). */
  client: string;
  /** The refresh cookie the browser sent, if any: it may mark a known device. */
  refreshToken?: string;
  /** Fires when the client has gone: a hash still waiting for its turn is not computed. */
  signal?: AbortSignal;
}

const queues = new WeakMap<Config["auth"], HashQueue>();

/** The hashing queue of this app (one per config, so one per process in production). */
function queueOf(ctx: AppContext): HashQueue {
  const { auth } = ctx.config;
  let queue = queues.get(auth);
  if (!queue) {
    queue = hashQueue({ concurrency: auth.bcryptConcurrency, queueLimit: auth.bcryptQueueLimit });
    queues.set(auth, queue);
  }
  return queue;
}

/**
 * Refuses at once (503 with Retry-After) while the hashing queue is full. The routes call it
 * before their rate limits and validation, so a request that is shed costs next to nothing
 * and spends none of its client's budget; the queue's own admission still decides.
 */
export function refuseWhenHashingFull(ctx: AppContext): void {
  if (queueOf(ctx).full) throw queueFull();
}

/** Creates a USER. The email arrives trimmed and lower-cased (schema.ts). */
export async function register(ctx: AppContext, input: RegisterInput, client: Pick<ClientInput, "signal">, log: Logger = ctx.logger): Promise<PublicUser> {
  refuseWhenHashingFull(ctx);
  const passwordHash = await hashPassword(input.password, ctx.config.auth.bcryptCost, { queue: queueOf(ctx), signal: client.signal });
  try {
    const user = await ctx.prisma.user.create({ data: { email: input.email, passwordHash }, select: { id: true, email: true, role: true } });
    log.info({ userId: user.id }, "user registered");
    return user;
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError("EMAIL_TAKEN", "An account with this email already exists.");
    throw err;
  }
}

async function startSession(ctx: AppContext, user: PublicUser, refresh: IssuedRefreshToken): Promise<Session> {
  const { auth } = ctx.config;
  return {
    accessToken: signAccessToken(auth, ctx.clock, { userId: user.id, role: user.role }),
    expiresIn: auth.accessTokenTtlSeconds,
    user: toPublic(user),
    refresh,
  };
}

/**
 * Checks the password in constant work (a dummy hash for unknown emails), behind the
 * login limits (login-lock.ts); on success opens a new refresh-token family.
 */
export async function login(ctx: AppContext, input: LoginInput, client: ClientInput, log: Logger = ctx.logger): Promise<Session> {
  // A place in the hashing queue first: when it is full the login is shed at once, before
  // any database or limiter work, so a shed login is never counted as an attempt.
  const admission = queueOf(ctx).admit();
  try {
    return await checkAndStartSession(ctx, input, client, admission, log);
  } finally {
    admission.cancel();
  }
}

async function checkAndStartSession(ctx: AppContext, input: LoginInput, client: ClientInput, admission: Admission, log: Logger): Promise<Session> {
  const { auth } = ctx.config;
  const now = ctx.clock.now();
  const user = await ctx.prisma.user.findUnique({ where: { email: input.email } });
  const knownDevice =
    user !== null && client.refreshToken !== undefined &&
    (await isKnownDevice(ctx.prisma, client.refreshToken, { userId: user.id, since: new Date(now.getTime() - auth.knownDeviceMs) }));
  const gate = await enterLoginAttempt(ctx, { email: input.email, client: client.client, knownDevice });
  if (!gate.allowed) {
    log.warn({ event: "login", outcome: "locked", scope: gate.scope, userId: user?.id }, "login refused: account locked");
    throw rateLimited(gate.retryAfterSeconds);
  }
  const matches = await verifyPassword(input.password, user?.passwordHash ?? dummyHash(auth.bcryptCost), { admission, signal: client.signal }).catch((err: unknown) => {
    if (isClientGone(err)) log.info({ event: "login", outcome: "client_gone" }, "password check dropped: the client has gone");
    throw err;
  });
  if (!user || !matches || !user.isActive) {
    const reason = !user ? "unknown_email" : !matches ? "wrong_password" : "inactive";
    log.warn({ event: "login", outcome: "bad_credentials", reason, userId: user?.id }, "login failed");
    throw invalidCredentials();
  }
  await clearLoginAttempts(ctx, gate.pass);
  if (needsRehash(user.passwordHash, auth.bcryptCost)) {
    // The configured cost went up since this hash was made; upgrade it while we have the password.
    const passwordHash = await hashPassword(input.password, auth.bcryptCost, { queue: queueOf(ctx), signal: client.signal });
    await ctx.prisma.user.update({ where: { id: user.id }, data: { passwordHash } });
  }
  const refresh = await issueRefreshToken(ctx.prisma, { userId: user.id, now: ctx.clock.now(), ttlSeconds: auth.refreshTokenTtlSeconds });
  log.info({ event: "login", outcome: "success", userId: user.id }, "login succeeded");
  return startSession(ctx, user, refresh);
}

/** Spends the refresh token for a new one and a new access token (refresh-tokens.ts). */
export async function refresh(ctx: AppContext, token: string | undefined, log: Logger = ctx.logger): Promise<Session> {
  if (!token) throw invalidRefreshToken();
  const result = await rotateRefreshToken(ctx.prisma, token, { now: ctx.clock.now(), ttlSeconds: ctx.config.auth.refreshTokenTtlSeconds });
  switch (result.kind) {
    case "rotated":
      log.info({ event: "refresh", outcome: "success", userId: result.user.id }, "refresh token rotated");
      return startSession(ctx, result.user, result.next);
    case "reused":
      log.warn(
        { event: "refresh", outcome: "reuse_detected", userId: result.userId, familyId: result.familyId },
        "refresh token reuse detected: family revoked",
      );
      throw invalidRefreshToken();
    case "inactive":
      log.warn({ event: "refresh", outcome: "inactive", userId: result.userId }, "refresh refused: user inactive");
      throw invalidRefreshToken();
    case "invalid":
      throw invalidRefreshToken();
  }
}

/** Ends the session of the presented token (its whole family). Idempotent. */
export async function logout(ctx: AppContext, token: string | undefined, log: Logger = ctx.logger): Promise<void> {
  if (!token) return;
  const revoked = await revokeRefreshTokenFamily(ctx.prisma, token, ctx.clock.now());
  if (revoked) log.info({ event: "logout", userId: revoked.userId }, "logged out");
}

/**
 * Deactivates a user and ends every session of theirs in the same transaction, each family
 * under its lock: a refresh in flight cannot leave a live token behind. Idempotent.
 */
export async function deactivateUser(ctx: AppContext, userId: string, log: Logger = ctx.logger): Promise<void> {
  const revoked = await ctx.prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: userId }, data: { isActive: false } });
    return revokeAllRefreshTokens(tx, userId, ctx.clock.now());
  });
  log.info({ event: "deactivate", userId, revokedTokens: revoked }, "user deactivated; sessions revoked");
}

/** The caller as stored now; a deleted or deactivated user is no longer authenticated. */
export async function currentUser(ctx: AppContext, userId: string): Promise<PublicUser> {
  const user = await ctx.prisma.user.findUnique({ where: { id: userId }, select: { id: true, email: true, role: true, isActive: true } });
  if (!user || !user.isActive) throw unauthenticated();
  return toPublic(user);
}

import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import type { Role } from "./access-tokens.js";

type Db = PrismaClient | Prisma.TransactionClient;

/** 256 random bits, base64url: 43 characters. Anything else is refused without a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface IssuedRefreshToken {
  token: string;
  expiresAt: Date;
}

/** Stores a new token of the family (a new family when none is given), expiring at `notAfter` at the latest; only its hash is kept. */
export async function issueRefreshToken(
  db: Db,
  input: { userId: string; familyId?: string; now: Date; ttlSeconds: number; notAfter?: Date },
): Promise<IssuedRefreshToken> {
  const token = randomBytes(32).toString("base64url");
  const fresh = input.now.getTime() + input.ttlSeconds * 1000;
  const expiresAt = new Date(input.notAfter ? Math.min(fresh, input.notAfter.getTime()) : fresh);
  await db.refreshToken.create({
    data: {
      userId: input.userId,
      familyId: input.familyId ?? randomUUID(),
      tokenHash: hashRefreshToken(token),
      expiresAt,
      createdAt: input.now,
    },
  });
  return { token, expiresAt };
}

/**
 * True when `token` is a refresh token issued to `userId` since `since`, spent or revoked
 * or not: the browser presenting it has logged in to this account before (a known device).
 */
export async function isKnownDevice(db: Db, token: string, input: { userId: string; since: Date }): Promise<boolean> {
  if (!TOKEN_SHAPE.test(token)) return false;
  const row = await db.refreshToken.findUnique({ where: { tokenHash: hashRefreshToken(token) }, select: { userId: true, createdAt: true } });
  return row !== null && row.userId === input.userId && row.createdAt >= input.since;
}

export type RotationResult =
  | { kind: "rotated"; user: { id: string; email: string; role: Role }; next: IssuedRefreshToken }
  /** Unknown, malformed or expired: refused, nothing else happens. */
  | { kind: "invalid" }
  /** Already spent or revoked: the whole family has just been revoked. */
  | { kind: "reused"; userId: string; familyId: string }
  /** The user was deactivated: the family has just been revoked. */
  | { kind: "inactive"; userId: string };

/** First key of the family locks (the two-key advisory lock space), apart from any other lock. */
const FAMILY_LOCK_CLASS = 0x52_46_54; // "RFT"

/**
 * Serialises every write to one family (rotation, logout, reuse detection, deactivation)
 * until the transaction ends. Without it, a logout whose snapshot predates a concurrent
 * rotation's insert revokes the spent token but not its successor. Transaction-scoped, so
 * it holds through PgBouncer's transaction pooling.
 */
async function lockFamily(tx: Prisma.TransactionClient, familyId: string): Promise<void> {
  // Raw SQL: Prisma has no API for advisory locks.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FAMILY_LOCK_CLASS}::int4, hashtext(${familyId}))`;
}

async function revokeFamily(tx: Prisma.TransactionClient, familyId: string, now: Date): Promise<void> {
  await tx.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } });
}

/**
 * Spends the presented token and issues its successor in the same family, in one
 * transaction under the family's lock. The spend is a conditional UPDATE: of two parallel
 * refreshes with one token, exactly one matches `usedAt IS NULL`; the other, once it holds
 * the lock, finds it spent and is treated as reuse (RFC 9700 §4.14.2), which revokes the
 * family including the successor the winner has just committed. The successor inherits the
 * presented token's expiry, so a family ends REFRESH_TOKEN_TTL_SECONDS after its login
 * however often it rotates.
 */
export async function rotateRefreshToken(
  prisma: PrismaClient,
  token: string,
  input: { now: Date; ttlSeconds: number },
): Promise<RotationResult> {
  if (!TOKEN_SHAPE.test(token)) return { kind: "invalid" };
  const tokenHash = hashRefreshToken(token);
  const { now } = input;
  const presented = await prisma.refreshToken.findUnique({ where: { tokenHash }, select: { familyId: true } });
  if (!presented) return { kind: "invalid" };
  return prisma.$transaction(async (tx) => {
    await lockFamily(tx, presented.familyId);
    const spent = await tx.refreshToken.updateMany({
      where: { tokenHash, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    const row = await tx.refreshToken.findUnique({
      where: { tokenHash },
      select: { familyId: true, usedAt: true, revokedAt: true, expiresAt: true, user: { select: { id: true, email: true, role: true, isActive: true } } },
    });
    if (!row) return { kind: "invalid" } as const;
    if (spent.count === 0) {
      if (row.usedAt === null && row.revokedAt === null) return { kind: "invalid" } as const; // merely expired
      await revokeFamily(tx, row.familyId, now);
      return { kind: "reused", userId: row.user.id, familyId: row.familyId } as const;
    }
    if (!row.user.isActive) {
      await revokeFamily(tx, row.familyId, now);
      return { kind: "inactive", userId: row.user.id } as const;
    }
    const next = await issueRefreshToken(tx, {
      userId: row.user.id,
      familyId: row.familyId,
      now,
      ttlSeconds: input.ttlSeconds,
      notAfter: row.expiresAt,
    });
    const { id, email, role } = row.user;
    return { kind: "rotated", user: { id, email, role }, next } as const;
  });
}

/** Logout: revokes every live token of the presented token's family. Unknown tokens are a no-op. */
export async function revokeRefreshTokenFamily(prisma: PrismaClient, token: string, now: Date): Promise<{ userId: string } | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const row = await prisma.refreshToken.findUnique({ where: { tokenHash: hashRefreshToken(token) }, select: { userId: true, familyId: true } });
  if (!row) return undefined;
  await prisma.$transaction(async (tx) => {
    await lockFamily(tx, row.familyId);
    await revokeFamily(tx, row.familyId, now);
  });
  return { userId: row.userId };
}

/**
 * Ends every session of a user (deactivation, a password change), each family under its
 * lock, so no rotation in flight leaves a live successor behind. Call inside a transaction
 * that also makes the change, so both commit together.
 */
export async function revokeAllRefreshTokens(tx: Prisma.TransactionClient, userId: string, now: Date): Promise<number> {
  const families = await tx.refreshToken.findMany({ where: { userId, revokedAt: null }, distinct: ["familyId"], select: { familyId: true } });
  // One order for every caller, so two of them never wait on each other's locks.
  for (const familyId of families.map((f) => f.familyId).sort()) await lockFamily(tx, familyId);
  const { count } = await tx.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
  return count;
}

/** How long spent and revoked rows are kept: a spent token presented within it revokes its family. */
export const SPENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Deletes rows that can no longer matter: expired ones (refused anyway), and ones spent or
 * revoked longer ago than the retention. Recently spent rows stay, because presenting one
 * of them is exactly the reuse that must revoke the family; an older one is simply unknown
 * (still 401). Idempotent; for `npm run maintenance`. Returns the number of rows deleted.
 */
export async function pruneRefreshTokens(
  prisma: PrismaClient,
  now: Date,
  options: { retentionMs?: number } = {},
): Promise<number> {
  const before = new Date(now.getTime() - (options.retentionMs ?? SPENT_RETENTION_MS));
  const { count } = await prisma.refreshToken.deleteMany({
    where: { OR: [{ expiresAt: { lte: now } }, { usedAt: { lte: before } }, { revokedAt: { lte: before } }] },
  });
  return count;
}

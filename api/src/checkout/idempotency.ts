import { createHash, randomUUID } from "node:crypto";
import type { AppContext } from "../context.js";
import { isUniqueViolation } from "../platform/db/errors.js";
import { AppError } from "../platform/errors.js";

/** Stripe keeps an idempotency key's answer for 24 h; ours live as long. */
export const KEY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How long a claim is held: well above everything a live holder may wait on (database
 * waits and timeouts, the 15 s Stripe deadline). Even if a holder outlives it, the claim
 * token fences it: after a takeover its writes match nothing.
 */
const CLAIM_MS = 60_000;
/** How long a second request with the same key waits for the first before 409. */
const WAIT_FOR_HOLDER_MS = 2_000;

export interface KeyRow {
  id: string;
  /** What the key protects: the order its request started (null until one is written). */
  orderId: string | null;
  /** Proves this request still holds the claim; every write is conditional on it. */
  claimToken: string;
}

export type Claim = { kind: "owned"; row: KeyRow } | { kind: "replay"; status: number; body: unknown };

export const requestHash = (body: unknown) => createHash("sha256").update(JSON.stringify(body)).digest("hex");

/**
 * Claims a client's Idempotency-Key. The unique (userId, key) row decides the race: one
 * request owns the key at a time; a finished key replays its answer; the same key with
 * another body is refused. A claim whose holder died (lock expired) or that was released
 * (the attempt is still open, or spent) can be taken over, and the new holder decides from
 * the linked order whether to resume it or start anew.
 */
export async function claimIdempotencyKey(ctx: AppContext, userId: string, key: string, hash: string): Promise<Claim> {
  const waitUntil = Date.now() + WAIT_FOR_HOLDER_MS;
  for (;;) {
    const now = ctx.clock.now();
    const lockedUntil = new Date(now.getTime() + CLAIM_MS);
    const fresh = { id: randomUUID(), orderId: null, claimToken: randomUUID() };
    // The unique (userId, key) decides: of concurrent first requests exactly one inserts the
    // row, the others get P2002. `create`, not `createMany({ skipDuplicates })`: Prisma never
    // caches a createMany's query plan, so it would compile the statement on every request.
    if (await insertKey(ctx, { ...fresh, userId, key, requestHash: hash, lockedUntil, expiresAt: new Date(now.getTime() + KEY_TTL_MS) })) {
      return { kind: "owned", row: fresh };
    }

    const existing = await ctx.prisma.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
    if (!existing) continue; // deleted in between; try again
    if (existing.expiresAt <= now) {
      await ctx.prisma.idempotencyKey.deleteMany({ where: { id: existing.id, expiresAt: { lte: now } } });
      continue;
    }
    if (existing.requestHash !== hash) {
      throw new AppError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request body.");
    }
    if (existing.state === "completed") {
      return { kind: "replay", status: existing.responseStatus ?? 201, body: existing.responseBody };
    }
    // Compare-and-set on the token read above: of concurrent takeovers exactly one matches.
    const claimToken = randomUUID();
    const taken = await ctx.prisma.idempotencyKey.updateMany({
      where: {
        id: existing.id,
        state: "in_progress",
        claimToken: existing.claimToken,
        OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
      },
      data: { lockedUntil, claimToken },
    });
    if (taken.count === 1) return { kind: "owned", row: { id: existing.id, orderId: existing.orderId, claimToken } };
    if (Date.now() >= waitUntil) {
      throw new AppError("REQUEST_IN_PROGRESS", "A request with this Idempotency-Key is still in progress; retry shortly.");
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** False when the user already has this key (a retry, or a concurrent first request). */
async function insertKey(
  ctx: AppContext,
  row: { id: string; orderId: null; claimToken: string; userId: string; key: string; requestHash: string; lockedUntil: Date; expiresAt: Date },
): Promise<boolean> {
  try {
    await ctx.prisma.idempotencyKey.create({ data: { ...row, state: "in_progress" }, select: { id: true } });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

// Linking the key to its new order and storing the answer to replay are part of the
// checkout's own transactions (order-writes.ts), fenced the same way.
const held = (row: KeyRow) => ({ id: row.id, claimToken: row.claimToken, state: "in_progress" as const });

/** The attempt stays open (e.g. Stripe unreachable): a retry with the key may resume it. */
export async function releaseIdempotencyKey(ctx: AppContext, row: KeyRow, options: { forgetOrder?: boolean } = {}): Promise<void> {
  await ctx.prisma.idempotencyKey.updateMany({
    where: held(row),
    data: { lockedUntil: null, ...(options.forgetOrder ? { orderId: null } : {}) },
  });
}

/** Nothing was created for this claim (the request was refused): leave no trace of it. */
export async function dropIdempotencyKey(ctx: AppContext, row: KeyRow): Promise<void> {
  await ctx.prisma.idempotencyKey.deleteMany({ where: { ...held(row), orderId: null } });
}

/**
 * Stores the final answer to replay and ends the claim, for endpoints whose own writes do
 * not store it (refunds). False when the claim was taken over meanwhile.
 */
export async function completeIdempotencyKey(ctx: AppContext, row: KeyRow, status: number, body: object): Promise<boolean> {
  const { count } = await ctx.prisma.idempotencyKey.updateMany({
    where: held(row),
    data: { state: "completed", responseStatus: status, responseBody: body, lockedUntil: null },
  });
  return count === 1;
}

import { createHash } from "node:crypto";
import type { AppContext } from "../context.js";
import { AppError } from "../errors.js";

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
  orderId: string | null;
  /** Proves this request still holds the claim; every write is conditional on it. */
  claimToken: string;
}

export type Claim = { kind: "owned"; row: KeyRow } | { kind: "replay"; status: number; body: unknown };

export const requestHash = (body: unknown) => createHash("sha256").update(JSON.stringify(body)).digest("hex");

interface StoredKey {
  id: string;
  requestHash: string;
  state: "in_progress" | "completed";
  orderId: string | null;
  responseStatus: number | null;
  responseBody: unknown;
  lockedUntil: Date | null;
  expiresAt: Date;
}

/**
 * Claims a client's Idempotency-Key. The unique (userId, key) row decides the race: one
 * request owns the key at a time; a finished key replays its answer; the same key with
 * another body is refused. A claim whose holder died (lock expired) or whose attempt
 * ended in 502 can be taken over, and then resumes the same order.
 */
export async function claimIdempotencyKey(ctx: AppContext, userId: string, key: string, hash: string): Promise<Claim> {
  const waitUntil = Date.now() + WAIT_FOR_HOLDER_MS;
  for (;;) {
    const now = ctx.clock.now();
    const lockedUntil = new Date(now.getTime() + CLAIM_MS);
    // Every checkout with a key runs this first: through pg directly, as Prisma's raw-query
    // path costs more CPU than the statement (bench/README.md).
    const { rows: inserted } = await ctx.db.pool.query<KeyRow>(
      `INSERT INTO "IdempotencyKey" ("userId", "key", "requestHash", "state", "lockedUntil", "expiresAt", "claimToken")
       VALUES ($1::uuid, $2, $3, 'in_progress', $4, $5, gen_random_uuid())
       ON CONFLICT ("userId", "key") DO NOTHING
       RETURNING "id", "orderId", "claimToken"`,
      [userId, key, hash, lockedUntil, new Date(now.getTime() + KEY_TTL_MS)],
    );
    if (inserted[0]) return { kind: "owned", row: inserted[0] };

    const existing = (await ctx.prisma.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } })) as StoredKey | null;
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
    const taken = await ctx.prisma.$queryRaw<KeyRow[]>`
      UPDATE "IdempotencyKey" SET "lockedUntil" = ${lockedUntil}, "claimToken" = gen_random_uuid()
      WHERE "id" = ${existing.id}::uuid AND "state" = 'in_progress' AND ("lockedUntil" IS NULL OR "lockedUntil" < ${now})
      RETURNING "id", "orderId", "claimToken"`;
    if (taken[0]) return { kind: "owned", row: taken[0] };
    if (Date.now() >= waitUntil) {
      throw new AppError("REQUEST_IN_PROGRESS", "A request with this Idempotency-Key is still in progress; retry shortly.");
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Linking the key to its new order and storing the answer to replay are part of the
// checkout's own single-statement writes (order-writes.ts), fenced the same way.
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

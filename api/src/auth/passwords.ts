import { createHash, randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import bcrypt from "bcrypt";

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Canonical form of a password: Unicode NFC, so the same text typed on two systems
 * (precomposed or combining accents) is the same password.
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFC");
}

/** Length in characters (code points), as a person counts them, not UTF-16 units. */
export function passwordLength(password: string): number {
  return [...normalizePassword(password)].length;
}

/*
 * bcrypt reads at most 72 bytes and silently ignores the rest, so a 100-character password
 * would only count up to its 72nd byte. We hash SHA-256(password) instead: 44 base64
 * characters, every input byte significant, and no NUL byte for bcrypt to stop at.
 */
function prehash(password: string): string {
  return createHash("sha256").update(normalizePassword(password), "utf8").digest("base64");
}

/**
 * How many bcrypt computations run at once: one core is always left to the event loop.
 * bcrypt's async API runs on libuv's thread pool (four threads), so without a bound a
 * credential-stuffing wave keeps four threads computing on a two-core machine and every
 * other request (the load balancer's probe, checkouts, webhooks) waits for CPU. Logins
 * queue here instead; the rate limits bound how many can queue (bench/README.md).
 */
export const BCRYPT_CONCURRENCY = Math.max(1, availableParallelism() - 1);
const oneAtATimePerCore = concurrencyLimit(BCRYPT_CONCURRENCY);

/** Runs at most `limit` of the given jobs at once, the others in the order they came. */
export function concurrencyLimit(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    // A finishing job hands its slot straight to the first waiter.
    if (running < limit) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return oneAtATimePerCore(() => bcrypt.hash(prehash(password), cost));
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return oneAtATimePerCore(() => bcrypt.compare(prehash(password), hash));
}

/** True when a stored hash was made with a lower cost than configured now (rehash on login). */
export function needsRehash(hash: string, cost: number): boolean {
  try {
    return bcrypt.getRounds(hash) < cost;
  } catch {
    return true;
  }
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * A hash of a random password at the given cost. Logins for unknown emails are compared
 * against it, so they take as long as a wrong password for a real account.
 */
export function dummyHash(cost: number): Promise<string> {
  let hash = dummyHashes.get(cost);
  if (!hash) {
    hash = hashPassword(randomBytes(32).toString("base64"), cost);
    dummyHashes.set(cost, hash);
  }
  return hash;
}

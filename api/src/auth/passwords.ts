import { createHash, randomBytes } from "node:crypto";
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

/** bcrypt's async API runs on libuv's thread pool, so hashing never blocks the event loop. */
export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(prehash(password), cost);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(prehash(password), hash);
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

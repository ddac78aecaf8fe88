import pg from "pg";
import type { Config } from "../config.js";

/** Advisory-lock keys of the jobs that must run one at a time (Prisma's migration lock is 72707369). */
const SESSION_LOCK_KEYS = {
  maintenance: 72707370,
  reconcile: 72707371,
} as const;

export type SessionLockName = keyof typeof SESSION_LOCK_KEYS;

export type Locked<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs `fn` while holding a session-level advisory lock, or not at all when another process
 * holds it. Jobs that call Stripe cannot hold a transaction for their whole run, so the lock
 * lives on its own direct connection: a transaction-mode pooler would drop session state.
 * Ending that connection releases the lock, even when `fn` throws.
 */
export async function withSessionLock<T>(
  database: Pick<Config["database"], "directUrl" | "connectionTimeoutMs">,
  name: SessionLockName,
  fn: () => Promise<T>,
): Promise<Locked<T>> {
  const client = new pg.Client({ connectionString: database.directUrl, connectionTimeoutMillis: database.connectionTimeoutMs });
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [SESSION_LOCK_KEYS[name]]);
    if (!rows[0]?.locked) return { acquired: false };
    return { acquired: true, value: await fn() };
  } finally {
    await client.end();
  }
}

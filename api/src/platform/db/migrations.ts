import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Logger } from "../logger.js";

/**
 * A migration runner that behaves like `prisma migrate deploy` without Prisma's native
 * schema engine (which cannot be downloaded on our build machines). It records migrations
 * in `_prisma_migrations` exactly as Prisma does, so the container's `prisma migrate deploy`
 * sees them as applied, and takes Prisma's own advisory lock so the two exclude each other.
 * Where Prisma only warns (an applied file that changed), we refuse: production must run
 * exactly the SQL that was reviewed.
 */

/** The key Prisma's schema engine locks on. */
export const PRISMA_ADVISORY_LOCK_KEY = 72707369;

/** How long to wait for another run (ours or Prisma's) to release the lock; Prisma waits 10 s. */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

export interface MigrationFile {
  name: string;
  checksum: string;
  sql: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export interface MigrateOptions {
  /** Must be a direct connection: a transaction-mode pooler drops session advisory locks. */
  databaseUrl: string;
  dir?: string;
  logger?: Logger;
  lockTimeoutMs?: number;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** The repository's prisma/migrations, found from this file in both api/src and dist. */
export function defaultMigrationsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    const candidate = path.join(dir, "prisma", "migrations");
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error("prisma/migrations not found above " + fileURLToPath(import.meta.url));
}

export function sha256Hex(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

export function readMigrationFiles(dir = defaultMigrationsDir()): MigrationFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(dir, name, "migration.sql"));
      return { name, checksum: sha256Hex(bytes), sql: bytes.toString("utf8") };
    });
}

/**
 * Prisma's comparison: the file matches when its checksum, or the checksum of the file
 * with its line endings converted either way, equals the recorded one (git may have
 * rewritten line endings on checkout).
 */
export function scriptMatchesChecksum(sql: string, checksum: string): boolean {
  return [sql, sql.replaceAll("\r\n", "\n"), sql.replaceAll("\n", "\r\n")].some((variant) => sha256Hex(variant) === checksum);
}

/** Prisma refuses to deploy migrations written for another provider. */
function assertPostgresLockfile(dir: string): void {
  const lockfile = path.join(dir, "migration_lock.toml");
  if (!existsSync(lockfile)) return;
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(readFileSync(lockfile, "utf8"))?.[1];
  if (provider && provider !== "postgresql") {
    throw new MigrationError(`migration_lock.toml names provider "${provider}"; these migrations are not for PostgreSQL`);
  }
}

// The table exactly as Prisma's schema engine creates it.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies every pending migration in order. Refuses to go on when an applied migration's
 * file has changed or an earlier migration failed; a no-op when nothing is pending.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const dir = options.dir ?? defaultMigrationsDir();
  assertPostgresLockfile(dir);
  const files = readMigrationFiles(dir);
  const client = new pg.Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 10_000, application_name: "checkout-api-migrate" });
  // A connection lost between queries surfaces through the next query; never crash here.
  client.on("error", () => undefined);
  await client.connect();
  try {
    await acquireLock(client, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    try {
      await initializeMigrationsTable(client);
      const { rows } = await client.query<AppliedRow>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
      );
      const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
      if (failed) {
        throw new MigrationError(
          `migration ${failed.migration_name} failed earlier; fix the database, then mark it with \`prisma migrate resolve\` before migrating again`,
        );
      }
      // As Prisma: a migration counts as applied when a row of it was not rolled back.
      const applied = new Map(rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
      const result: MigrateResult = { applied: [], alreadyApplied: [] };
      for (const file of files) {
        const row = applied.get(file.name);
        if (row) {
          if (!scriptMatchesChecksum(file.sql, row.checksum)) {
            throw new MigrationError(`migration ${file.name} was changed after it was applied (checksum differs); add a new migration instead`);
          }
          result.alreadyApplied.push(file.name);
          continue;
        }
        await applyOne(client, file);
        options.logger?.info({ migration: file.name }, "migration applied");
        result.applied.push(file.name);
      }
      return result;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Session-level lock: held across every migration, released on unlock or disconnect. */
async function acquireLock(client: pg.Client, timeoutMs: number): Promise<void> {
  await client.query(`SELECT set_config('lock_timeout', $1, false)`, [`${timeoutMs}ms`]);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
  } catch (err) {
    if ((err as { code?: string }).code === "55P03") {
      throw new MigrationError(`another migration run (ours or prisma migrate deploy) held the migration lock for over ${timeoutMs} ms`);
    }
    throw err;
  } finally {
    await client.query("RESET lock_timeout").catch(() => undefined);
  }
}

/**
 * As Prisma: create `_prisma_migrations` in an empty schema; refuse a schema that already
 * has tables but no migration history (it needs a baseline, not a blind deploy).
 */
async function initializeMigrationsTable(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname = current_schema()`,
  );
  if (rows.some((r) => r.relname === "_prisma_migrations")) return;
  if (rows.length > 0) {
    throw new MigrationError(
      "the database schema is not empty but has no _prisma_migrations table; baseline it (prisma migrate resolve --applied) before migrating",
    );
  }
  await client.query(CREATE_MIGRATIONS_TABLE);
}

async function applyOne(client: pg.Client, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`, [
    id,
    file.checksum,
    file.name,
  ]);
  try {
    // One script through the simple query protocol, as Prisma sends it: PostgreSQL runs a
    // multi-statement string as one implicit transaction unless the script says otherwise.
    await client.query(file.sql);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: string }).code;
    // A script that opened its own transaction leaves the session aborted; outside a
    // transaction ROLLBACK is only a warning.
    await client.query("ROLLBACK").catch(() => undefined);
    await client.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [
      id,
      `Database error code: ${code ?? "unknown"}\n\nDatabase error:\n${message}`,
    ]);
    throw new MigrationError(`migration ${file.name} failed: ${message}`);
  }
  await client.query(`UPDATE "_prisma_migrations" SET applied_steps_count = applied_steps_count + 1 WHERE id = $1`, [id]);
  await client.query(`UPDATE "_prisma_migrations" SET finished_at = now() WHERE id = $1`, [id]);
}

/** Names of migration files not (successfully) applied to the database behind `query`. */
export async function pendingMigrations(
  query: (sql: string) => Promise<{ migration_name: string }[]>,
  files: Pick<MigrationFile, "name">[],
): Promise<string[]> {
  let appliedRows: { migration_name: string }[];
  try {
    appliedRows = await query(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
  } catch (err) {
    if ((err as { code?: string }).code === "42P01") return files.map((f) => f.name); // no table yet
    throw err;
  }
  const applied = new Set(appliedRows.map((r) => r.migration_name));
  return files.map((f) => f.name).filter((name) => !applied.has(name));
}

/**
 * The migration files not yet applied, read through the app's pool with a client-side
 * deadline on the query: a frozen database must not hold the readiness probe.
 */
export function pendingMigrationsOf(pool: pg.Pool, files: Pick<MigrationFile, "name">[], timeoutMs: number): Promise<string[]> {
  return pendingMigrations(
    // pg honours a per-query read timeout; its types do not declare it.
    (sql) => pool.query<{ migration_name: string }>({ text: sql, query_timeout: timeoutMs } as { text: string }).then((r) => r.rows),
    files,
  );
}

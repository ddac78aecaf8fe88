import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { defaultMigrationsDir } from "../../../src/platform/db/migrations.js";
import { adminQuery, databaseUrl } from "../../helpers/database.js";

export interface FreshDatabase {
  name: string;
  url: string;
  /** One query on a short-lived connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/** An empty database (no template, no migrations) of the calling test's own. */
export async function createEmptyDatabase(adminUrl: string): Promise<FreshDatabase> {
  const name = `m_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const url = databaseUrl(adminUrl, name);
  return {
    name,
    url,
    async query<R extends pg.QueryResultRow>(sql: string, values?: unknown[]) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<R>(sql, values)).rows;
      } finally {
        await client.end();
      }
    },
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** A private copy of prisma/migrations that a test may edit without touching the repository. */
export async function copyMigrationsDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), "checkout-migrations-"));
  const dir = path.join(root, "migrations");
  await cp(defaultMigrationsDir(), dir, { recursive: true });
  return { dir, remove: () => rm(root, { recursive: true, force: true }) };
}

import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { migrate, MigrationError, PRISMA_ADVISORY_LOCK_KEY, readMigrationFiles, sha256Hex } from "../../../src/platform/db/migrations.js";
import { runTs } from "../../helpers/run-script.js";
import { copyMigrationsDir, createEmptyDatabase, type FreshDatabase } from "./fresh-database.js";

const files = readMigrationFiles();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshDatabase(): Promise<FreshDatabase> {
  const db = await createEmptyDatabase(inject("adminDatabaseUrl"));
  cleanups.push(() => db.drop());
  return db;
}

async function migrationsCopy(): Promise<string> {
  const copy = await copyMigrationsDir();
  cleanups.push(copy.remove);
  return copy.dir;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(path.join(dir, name));
  await writeFile(path.join(dir, name, "migration.sql"), sql);
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}
const rowsOf = (db: FreshDatabase) => db.query<MigrationRow>(`SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name`);
const tableExists = async (db: FreshDatabase, table: string) =>
  (await db.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [`public."${table}"`]))[0]!.found;

/** A session that holds Prisma's migration lock, as a running `prisma migrate deploy` would. */
async function holdMigrationLock(url: string): Promise<pg.Client> {
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  await holder.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
  cleanups.push(() => holder.end());
  return holder;
}

describe("migrate on an empty database", () => {
  it("when it runs, then every file is recorded exactly as Prisma records it", async () => {
    const db = await freshDatabase();
    const result = await migrate({ databaseUrl: db.url });

    expect(result).toEqual({ applied: files.map((f) => f.name), alreadyApplied: [] });
    const rows = await rowsOf(db);
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const [i, row] of rows.entries()) {
      const bytes = await readFile(path.join("prisma", "migrations", row.migration_name, "migration.sql"));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.checksum).toBe(sha256Hex(bytes));
      expect(row.checksum).toBe(files[i]!.checksum);
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    }
  });

  it("when it runs, then _prisma_migrations has the columns Prisma's schema engine creates", async () => {
    const db = await freshDatabase();
    await migrate({ databaseUrl: db.url });

    const columns = await db.query(`
      SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
        FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`);
    expect(columns).toEqual([
      { column_name: "id", data_type: "character varying", length: 36, is_nullable: "NO", column_default: null },
      { column_name: "checksum", data_type: "character varying", length: 64, is_nullable: "NO", column_default: null },
      { column_name: "finished_at", data_type: "timestamp with time zone", length: null, is_nullable: "YES", column_default: null },
      { column_name: "migration_name", data_type: "character varying", length: 255, is_nullable: "NO", column_default: null },
      { column_name: "logs", data_type: "text", length: null, is_nullable: "YES", column_default: null },
      { column_name: "rolled_back_at", data_type: "timestamp with time zone", length: null, is_nullable: "YES", column_default: null },
      { column_name: "started_at", data_type: "timestamp with time zone", length: null, is_nullable: "NO", column_default: "now()" },
      { column_name: "applied_steps_count", data_type: "integer", length: null, is_nullable: "NO", column_default: "0" },
    ]);
    const [pk] = await db.query(`SELECT conname FROM pg_constraint WHERE conrelid = '"_prisma_migrations"'::regclass AND contype = 'p'`);
    expect(pk).toEqual({ conname: "_prisma_migrations_pkey" });
  });

  it("when the schema already has tables but no migration history, then it refuses and creates nothing", async () => {
    const db = await freshDatabase();
    await db.query(`CREATE TABLE "Legacy" (id int)`);

    await expect(migrate({ databaseUrl: db.url })).rejects.toThrow(/not empty/);
    expect(await tableExists(db, "_prisma_migrations")).toBe(false);
    expect(await tableExists(db, "User")).toBe(false);
  });
});

describe("migrate twice", () => {
  it("when nothing is pending, then the second run applies nothing and changes no row", async () => {
    const db = await freshDatabase();
    await migrate({ databaseUrl: db.url });
    const before = await rowsOf(db);

    const second = await migrate({ databaseUrl: db.url });

    expect(second).toEqual({ applied: [], alreadyApplied: files.map((f) => f.name) });
    expect(await rowsOf(db)).toEqual(before);
  });

  it("when a file is added later, then only that file is applied", async () => {
    const db = await freshDatabase();
    const dir = await migrationsCopy();
    await migrate({ databaseUrl: db.url, dir });
    await addMigration(dir, "29990101000000_add_note", `ALTER TABLE "Product" ADD COLUMN "note" TEXT;`);

    const result = await migrate({ databaseUrl: db.url, dir });

    expect(result.applied).toEqual(["29990101000000_add_note"]);
    expect((await rowsOf(db)).filter((r) => r.migration_name === "29990101000000_add_note")).toHaveLength(1);
  });
});

describe("migrate concurrently", () => {
  it("when several runs start at once on separate connections, then each file is applied exactly once", async () => {
    const db = await freshDatabase();

    const results = await Promise.all(Array.from({ length: 5 }, () => migrate({ databaseUrl: db.url })));

    const appliedEverywhere = results.flatMap((r) => r.applied).sort();
    expect(appliedEverywhere).toEqual(files.map((f) => f.name).sort());
    const rows = await rowsOf(db);
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    expect(rows.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
  });

  it("when several `npm run db:migrate` processes start at once, then all succeed and each file is applied once", async () => {
    const db = await freshDatabase();

    const runs = await Promise.all(
      Array.from({ length: 3 }, () => runTs("api/src/jobs/migrate.ts", { DATABASE_URL: db.url, LOG_LEVEL: "info" })),
    );

    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    const rows = await rowsOf(db);
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
  });

  it("when another session (e.g. prisma migrate deploy) holds Prisma's lock, then it waits and applies nothing until released", async () => {
    const db = await freshDatabase();
    const holder = await holdMigrationLock(db.url);

    const running = migrate({ databaseUrl: db.url });
    await vi.waitFor(
      async () => {
        const [waiting] = await db.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`,
          [PRISMA_ADVISORY_LOCK_KEY],
        );
        expect(waiting!.count).toBe(1);
      },
      { timeout: 5000, interval: 50 },
    );
    expect(await tableExists(db, "_prisma_migrations")).toBe(false);

    await holder.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
    expect((await running).applied).toEqual(files.map((f) => f.name));
  });

  it("when the lock stays held beyond the lock timeout, then it gives up with a clear error and changes nothing", async () => {
    const db = await freshDatabase();
    await holdMigrationLock(db.url);

    const failure = migrate({ databaseUrl: db.url, lockTimeoutMs: 200 });

    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(/held the migration lock/);
    expect(await tableExists(db, "_prisma_migrations")).toBe(false);
  });
});

describe("migrate refuses an unsafe history", () => {
  it("when an applied file was changed, then it refuses and applies nothing newer", async () => {
    const db = await freshDatabase();
    const dir = await migrationsCopy();
    await migrate({ databaseUrl: db.url, dir });
    const first = path.join(dir, files[0]!.name, "migration.sql");
    await writeFile(first, (await readFile(first, "utf8")) + "\n-- edited after it was applied\n");
    await addMigration(dir, "29990101000000_add_note", `ALTER TABLE "Product" ADD COLUMN "note" TEXT;`);

    await expect(migrate({ databaseUrl: db.url, dir })).rejects.toThrow(/changed after it was applied/);
    expect((await rowsOf(db)).map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
  });

  it("when an applied file only had its line endings converted by git, then it still counts as unchanged (as in Prisma)", async () => {
    const db = await freshDatabase();
    const dir = await migrationsCopy();
    await migrate({ databaseUrl: db.url, dir });
    const first = path.join(dir, files[0]!.name, "migration.sql");
    await writeFile(first, (await readFile(first, "utf8")).replaceAll("\n", "\r\n"));

    expect((await migrate({ databaseUrl: db.url, dir })).applied).toEqual([]);
  });

  it("when a migration fails, then its script is rolled back as one transaction and the row is left unfinished with the error", async () => {
    const db = await freshDatabase();
    const dir = await migrationsCopy();
    await migrate({ databaseUrl: db.url, dir });
    await addMigration(dir, "29990101000000_broken", `CREATE TABLE "Half" ("id" INTEGER);\nSELECT 1 / 0;\n`);

    await expect(migrate({ databaseUrl: db.url, dir })).rejects.toThrow(/29990101000000_broken failed: division by zero/);

    const row = (await rowsOf(db)).find((r) => r.migration_name === "29990101000000_broken");
    expect(row).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(row!.logs).toMatch(/22012[\s\S]*division by zero/);
    expect(await tableExists(db, "Half")).toBe(false);
  });

  it("when a previous migration failed, then it refuses to go on even after the file was fixed", async () => {
    const db = await freshDatabase();
    const dir = await migrationsCopy();
    await addMigration(dir, "29990101000000_broken", `SELECT 1 / 0;`);
    await expect(migrate({ databaseUrl: db.url, dir })).rejects.toThrow(/failed/);
    await writeFile(path.join(dir, "29990101000000_broken", "migration.sql"), `CREATE TABLE "Fixed" ("id" INTEGER);`);

    await expect(migrate({ databaseUrl: db.url, dir })).rejects.toThrow(/29990101000000_broken failed earlier/);
    expect(await tableExists(db, "Fixed")).toBe(false);
  });

  it("when the failed migration was marked rolled back (prisma migrate resolve), then it is applied again as a new row", async () => {
    const db = await freshDatabase();
    const dir = await migrationsCopy();
    await addMigration(dir, "29990101000000_broken", `SELECT 1 / 0;`);
    await expect(migrate({ databaseUrl: db.url, dir })).rejects.toThrow(/failed/);
    await writeFile(path.join(dir, "29990101000000_broken", "migration.sql"), `CREATE TABLE "Fixed" ("id" INTEGER);`);
    await db.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '29990101000000_broken'`);

    const result = await migrate({ databaseUrl: db.url, dir });

    expect(result.applied).toEqual(["29990101000000_broken"]);
    const rows = (await rowsOf(db)).filter((r) => r.migration_name === "29990101000000_broken");
    expect(rows).toHaveLength(2);
    expect(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null)).toHaveLength(1);
    expect(await tableExists(db, "Fixed")).toBe(true);
  });
});

describe("npm run db:migrate", () => {
  it("when DATABASE_URL is missing, then it says so and exits 1", async () => {
    const run = await runTs("api/src/jobs/migrate.ts", {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("DATABASE_URL");
  });
});

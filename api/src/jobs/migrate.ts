import { migrate } from "../platform/db/migrations.js";
import { migrationDatabaseUrl } from "../platform/env-unset.js";
import { createLogger } from "../platform/logger.js";

// `npm run db:migrate`: needs only DATABASE_URL (or DIRECT_DATABASE_URL), not the whole
// app config, so it can run before secrets are in place.
const url = migrationDatabaseUrl(process.env);
if (!url || !/^postgres(ql)?:\/\//.test(url)) {
  process.stderr.write("DATABASE_URL: is required (postgresql://...)\n");
  process.exit(1);
}
const logger = createLogger({ level: process.env.LOG_LEVEL ?? "info", name: "migrate" });
try {
  const result = await migrate({ databaseUrl: url, logger });
  logger.info({ applied: result.applied.length, alreadyApplied: result.alreadyApplied.length }, result.applied.length ? "migrations applied" : "no pending migrations");
} catch (err) {
  logger.error({ err: { message: (err as Error).message } }, "migration failed");
  process.exit(1);
}

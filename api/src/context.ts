import type Stripe from "stripe";
import type { Config } from "./platform/config.js";
import { systemClock, type Clock } from "./platform/clock.js";
import { createDatabase, type Database } from "./platform/db/database.js";
import { readMigrationFiles, type MigrationFile } from "./platform/db/migrations.js";
import { Lifecycle } from "./platform/lifecycle/lifecycle.js";
import { createLogger, type Logger } from "./platform/logger.js";
import { resolveAppVersion } from "./platform/metrics/app-version.js";
import { createMetrics, type Metrics } from "./platform/metrics/metrics.js";
import { countRefundsNeedingOperator } from "./refunds/refund-resolution.js";
import { createErrorReporter, type ErrorReporter } from "./platform/observability/sentry.js";
import { createRateLimitStore, type RateLimitStore } from "./platform/rate-limit/rate-limit-store.js";
import { createStripeClient } from "./platform/stripe/stripe-client.js";

/**
 * Everything the app needs, built in one place. Routers and services receive this and
 * nothing reads `process.env` except main.ts. Tests override any part.
 */
export interface AppContext {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Database;
  prisma: Database["prisma"];
  stripe: Stripe;
  lifecycle: Lifecycle;
  migrationFiles: Pick<MigrationFile, "name">[];
  /** Prometheus and admin counters of this context (api/src/platform/metrics). */
  metrics: Metrics;
  /** Sentry when SENTRY_DSN is set, else a no-op (api/src/platform/observability). */
  errorReporter: ErrorReporter;
  /** Rate-limit counters: Redis when REDIS_URL is set (memory fallback), else memory (api/src/platform/rate-limit). */
  rateLimits: RateLimitStore;
  /** Releases every resource the context opened (pool, Redis, timers). */
  close(): Promise<void>;
}

export type ContextOverrides = Partial<Omit<AppContext, "config" | "close" | "prisma">>;

export function buildContext(config: Config, overrides: ContextOverrides = {}): AppContext {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const db = overrides.db ?? createDatabase(config.database, logger);
  const closers: (() => Promise<void>)[] = [];
  if (!overrides.db) closers.push(() => db.close());
  const clock = overrides.clock ?? systemClock;
  const version = resolveAppVersion(config.appVersion);
  const metrics =
    overrides.metrics ??
    createMetrics({
      pool: db.pool,
      version,
      database: db.pool,
      refundsNeedingOperator: () => countRefundsNeedingOperator(db.prisma, clock.now()),
    });
  const rateLimits =
    overrides.rateLimits ??
    createRateLimitStore({ redisUrl: config.redisUrl, clock, logger, onFallback: () => metrics.rateLimitFallback("redis") });
  if (!overrides.rateLimits) closers.push(() => rateLimits.close());

  const errorReporter =
    overrides.errorReporter ?? createErrorReporter({ dsn: config.sentryDsn, environment: config.env, release: version, logger });
  if (!overrides.errorReporter) closers.push(() => errorReporter.close());

  const ctx: AppContext = {
    config,
    logger,
    clock,
    db,
    prisma: db.prisma,
    stripe: overrides.stripe ?? createStripeClient(config.stripe),
    lifecycle: overrides.lifecycle ?? new Lifecycle(),
    migrationFiles: overrides.migrationFiles ?? readMigrationFiles().map(({ name }) => ({ name })),
    metrics,
    errorReporter,
    rateLimits,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
  return ctx;
}

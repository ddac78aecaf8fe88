import type { Express } from "express";
import { inject } from "vitest";
import { createApp } from "../../src/app.js";
import { ManualClock } from "../../src/platform/clock.js";
import { loadConfig, type Config } from "../../src/platform/config.js";
import { buildContext, type AppContext, type ContextOverrides } from "../../src/context.js";
import { createLogger } from "../../src/platform/logger.js";
import { TEST_SECRETS } from "./constants.js";
import { createTestDatabase } from "./database.js";
import { LogCapture } from "./logs.js";

/** A literal environment for tests; `process.env` is never read or changed. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: "test",
    DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/unused",
    JWT_SECRET: TEST_SECRETS.jwtSecret,
    STRIPE_SECRET_KEY: TEST_SECRETS.stripeSecretKey,
    STRIPE_WEBHOOK_SECRET: TEST_SECRETS.webhookSecret,
    STRIPE_API_URL: "http://127.0.0.1:1",
    STRIPE_MAX_NETWORK_RETRIES: "0",
    FRONTEND_URL: "http://shop.test",
    CORS_ORIGINS: "http://shop.test",
    BCRYPT_COST: "4",
    SHUTDOWN_DELAY_MS: "0",
    SHUTDOWN_TIMEOUT_MS: "5000",
    LOG_LEVEL: "debug",
    ...overrides,
  };
}

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  const loaded = loadConfig(testEnv(overrides));
  if (!loaded.ok) throw new Error(`test config invalid: ${loaded.problems.join("; ")}`);
  return loaded.config;
}

export interface TestApp {
  ctx: AppContext;
  app: Express;
  clock: ManualClock;
  logs: LogCapture;
  databaseUrl: string;
  /** Closes the context and drops the file's database. */
  close(): Promise<void>;
}

/**
 * The real app against a real, fresh PostgreSQL database of this test file's own.
 * Call in `beforeAll`; pass env overrides and context overrides (e.g. a Stripe client).
 */
export async function setupTestApp(
  options: { env?: Record<string, string | undefined>; overrides?: ContextOverrides; name?: string } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(inject("adminDatabaseUrl"), inject("templateDatabase"));
  const config = testConfig({ DATABASE_URL: database.url, ...options.env });
  const logs = new LogCapture(inject("logDir"), options.name);
  const clock = options.overrides?.clock instanceof ManualClock ? options.overrides.clock : new ManualClock(new Date());
  const ctx = buildContext(config, {
    logger: createLogger({ level: config.logLevel }, logs),
    clock,
    ...options.overrides,
  });
  const app = createApp(ctx);
  return {
    ctx,
    app,
    clock,
    logs,
    databaseUrl: database.url,
    async close() {
      await ctx.close();
      await database.drop();
    },
  };
}

import { availableParallelism } from "node:os";
import { z } from "zod";
import { parseTrustProxy } from "./http/trust-proxy.js";
import { withoutEmptyValues } from "./env-unset.js";

/**
 * The environment, parsed once into a typed, nested config. Every rule of the documented
 * environment lives here; `loadConfig` reports every problem at once, naming the
 * variable and never its value.
 */

const intFrom = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const bool = z.enum(["true", "false"], { error: "must be true or false" }).transform((v) => v === "true");

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), "must start with postgresql:// or postgres://")
  .refine((v) => URL.canParse(v), "must be a valid URL");

const httpUrl = z
  .string()
  .trim()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), "must be an http(s) URL")
  .transform((v) => v.replace(/\/+$/, ""));

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === "" ? undefined : v));

/** `false` or the load balancer's addresses/CIDRs (http/trust-proxy.ts has the rules). */
const trustProxy = z.string().transform((v, ctx): false | string[] => {
  const parsed = parseTrustProxy(v);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: "custom", message: parsed.message });
  return z.NEVER;
});

const isLiveKey = (key: unknown) => typeof key === "string" && /^(sk|rk)_live_/.test(key);

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    PORT: intFrom(0, 65535).default(3000),
    HOST: optionalString,
    DATABASE_URL: postgresUrl,
    DIRECT_DATABASE_URL: postgresUrl.optional(),
    DATABASE_POOL_MAX: intFrom(1, 200).default(10),
    DATABASE_CONNECT_TIMEOUT_MS: intFrom(100).default(3000),
    DATABASE_QUERY_TIMEOUT_MS: intFrom(100).default(10000),
    JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
    ACCESS_TOKEN_TTL_SECONDS: intFrom(30).default(900),
    REFRESH_TOKEN_TTL_SECONDS: intFrom(60).default(2592000),
    STRIPE_SECRET_KEY: z.string().trim().regex(/^(sk|rk)_(test|live)_\S+$/, "must start with sk_test_, sk_live_, rk_test_ or rk_live_"),
    STRIPE_WEBHOOK_SECRET: z.string().trim().regex(/^whsec_\S+$/, "must start with whsec_"),
    STRIPE_API_URL: httpUrl.optional(),
    STRIPE_ALLOW_TEST_KEYS: bool.default(false),
    STRIPE_TIMEOUT_MS: intFrom(100, 60000).default(4000),
    STRIPE_MAX_NETWORK_RETRIES: intFrom(0, 5).default(2),
    FRONTEND_URL: httpUrl.optional(),
    CORS_ORIGINS: z.string().default(""),
    TRUST_PROXY: trustProxy.default(false),
    REDIS_URL: z
      .string()
      .trim()
      .refine((v) => /^rediss?:\/\//.test(v), "must start with redis:// or rediss://")
      .optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    CHECKOUT_SESSION_TTL_MINUTES: intFrom(35, 24 * 60).default(60),
    SHUTDOWN_DELAY_MS: intFrom(0, 120000).default(5000),
    SHUTDOWN_TIMEOUT_MS: intFrom(0, 600000).default(25000),
    CATALOG_FILE: optionalString,
    BCRYPT_COST: intFrom(4, 15).default(12),
    AUTH_RATE_LIMIT: intFrom(1).default(20),
    BCRYPT_QUEUE_LIMIT: intFrom(0, 10000).optional(),
    LOGIN_FAILURE_LIMIT: intFrom(1).default(10),
    LOGIN_FAILURE_EMAIL_LIMIT: intFrom(1).default(100),
    SYNC_RATE_LIMIT: intFrom(1).default(60),
    CHECKOUT_RATE_LIMIT: intFrom(1).default(30),
    METRICS_TOKEN: optionalString,
    METRICS_PUBLIC: bool.default(false),
    APP_VERSION: optionalString,
    SENTRY_DSN: optionalString.pipe(z.url({ error: "must be a URL" }).optional()),
    DOCS_ENABLED: bool.default(false),
    PAYMENT_EVENT_RETENTION_DAYS: intFrom(1).default(90),
  })
  .superRefine(
    (env, ctx) => {
      // Runs even when other variables failed (see `when`), so any value may be unparsed here.
      const problem = (variable: string, message: string) => ctx.addIssue({ code: "custom", path: [variable], message });
      if (env.NODE_ENV !== "production") {
        // A live key outside production would run without Secure cookies and could be sent to
        // STRIPE_API_URL (a stand-in, a mock); NODE_ENV unset counts as development.
        if (isLiveKey(env.STRIPE_SECRET_KEY)) problem("STRIPE_SECRET_KEY", "a live key is refused outside production (set NODE_ENV=production)");
        return;
      }
      if (typeof env.STRIPE_SECRET_KEY === "string" && /^(sk|rk)_test_/.test(env.STRIPE_SECRET_KEY) && env.STRIPE_ALLOW_TEST_KEYS !== true) {
        problem("STRIPE_SECRET_KEY", "a test key is refused in production unless STRIPE_ALLOW_TEST_KEYS=true");
      }
      if (env.STRIPE_API_URL) problem("STRIPE_API_URL", "is refused in production: the API talks to Stripe itself");
      if (!env.FRONTEND_URL) problem("FRONTEND_URL", "is required in production");
      if (typeof env.CORS_ORIGINS === "string" && env.CORS_ORIGINS.split(",").some((o) => o.trim() === "*")) {
        problem("CORS_ORIGINS", "* is refused in production");
      }
      if (typeof env.BCRYPT_COST === "number" && env.BCRYPT_COST < 10) problem("BCRYPT_COST", "below 10 is refused in production");
      if (env.METRICS_PUBLIC !== true) {
        if (!env.METRICS_TOKEN) problem("METRICS_TOKEN", "is required in production unless METRICS_PUBLIC=true");
        else if (typeof env.METRICS_TOKEN === "string" && env.METRICS_TOKEN.length < 32) problem("METRICS_TOKEN", "must be at least 32 characters in production");
      }
    },
    // Without this, zod skips the production rules whenever a variable is missing, and the
    // operator would learn about the remaining problems one restart at a time.
    { when: () => true },
  );

export type Env = z.infer<typeof envSchema>;

/** bcrypt computations run at once: one core is always left to the event loop. */
const BCRYPT_CONCURRENCY = Math.max(1, availableParallelism() - 1);

function toConfig(env: Env) {
  const corsOrigins = env.CORS_ORIGINS.split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  return {
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === "production",
    port: env.PORT,
    /** Listen address; unset = every interface (the sandbox binds 127.0.0.1). */
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    appVersion: env.APP_VERSION,
    database: {
      url: env.DATABASE_URL,
      directUrl: env.DIRECT_DATABASE_URL ?? env.DATABASE_URL,
      poolMax: env.DATABASE_POOL_MAX,
      connectionTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS,
      idleTimeoutMs: 30000,
      /** How long a transaction may wait for a connection, and run in all. */
      transactionMaxWaitMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      transactionTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS,
    },
    auth: {
      jwtSecret: env.JWT_SECRET,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
      bcryptCost: env.BCRYPT_COST,
      bcryptConcurrency: BCRYPT_CONCURRENCY,
      /** Hash jobs that may wait beyond those running; more get 503 at once. */
      bcryptQueueLimit: env.BCRYPT_QUEUE_LIMIT ?? 4 * BCRYPT_CONCURRENCY,
      issuer: "checkout-api",
      audience: "checkout-api",
      rateLimitPerMinute: env.AUTH_RATE_LIMIT,
      loginFailureLimit: env.LOGIN_FAILURE_LIMIT,
      loginFailureEmailLimit: env.LOGIN_FAILURE_EMAIL_LIMIT,
      loginFailureWindowMs: 15 * 60 * 1000,
      /** A refresh cookie this recent marks a known device (exempt from the per-email ceiling). */
      knownDeviceMs: 90 * 24 * 60 * 60 * 1000,
    },
    stripe: {
      secretKey: env.STRIPE_SECRET_KEY,
      webhookSecret: env.STRIPE_WEBHOOK_SECRET,
      apiUrl: env.STRIPE_API_URL,
      timeoutMs: env.STRIPE_TIMEOUT_MS,
      maxNetworkRetries: env.STRIPE_MAX_NETWORK_RETRIES,
      /** Overall bound on one Stripe call made while a client waits. */
      deadlineMs: 15000,
      webhookToleranceSeconds: 300,
    },
    checkout: {
      sessionTtlMinutes: env.CHECKOUT_SESSION_TTL_MINUTES,
      rateLimitPerMinute: env.CHECKOUT_RATE_LIMIT,
      syncRateLimitPerMinute: env.SYNC_RATE_LIMIT,
      frontendUrl: env.FRONTEND_URL ?? "http://localhost:3000",
    },
    http: {
      corsOrigins,
      trustProxy: env.TRUST_PROXY,
      shutdownDelayMs: env.SHUTDOWN_DELAY_MS,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      docsEnabled: env.NODE_ENV !== "production" || env.DOCS_ENABLED,
    },
    redisUrl: env.REDIS_URL,
    metricsToken: env.METRICS_TOKEN,
    metricsPublic: env.METRICS_PUBLIC,
    sentryDsn: env.SENTRY_DSN,
    seed: {
      catalogFile: env.CATALOG_FILE,
    },
    maintenance: {
      paymentEventRetentionDays: env.PAYMENT_EVENT_RETENTION_DAYS,
    },
  };
}

export type Config = ReturnType<typeof toConfig>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Parses an environment (normally `process.env`). Never echoes a value back. */
export function loadConfig(source: Record<string, string | undefined>): ConfigResult {
  const cleaned = withoutEmptyValues(source);
  const parsed = envSchema.safeParse(cleaned);
  if (parsed.success) return { ok: true, config: toConfig(parsed.data) };
  const problems = parsed.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? "environment");
    const message = issue.code === "invalid_type" && cleaned[variable] === undefined ? "is required" : issue.message;
    return `${variable}: ${message}`;
  });
  return { ok: false, problems: [...new Set(problems)] };
}

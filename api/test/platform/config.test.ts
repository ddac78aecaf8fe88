import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/platform/config.js";
import { runTs } from "../helpers/run-script.js";

/** A valid development environment; each test changes only what it is about. */
const base = {
  DATABASE_URL: "postgresql://app@db.internal:5432/shop",
  JWT_SECRET: "j".repeat(32),
  STRIPE_SECRET_KEY: "sk_test_configSuiteKey123",
  STRIPE_WEBHOOK_SECRET: "whsec_configSuiteSecret",
};
/** A valid production environment. */
const production = {
  ...base,
  NODE_ENV: "production",
  STRIPE_SECRET_KEY: "sk_live_configSuiteKey123",
  FRONTEND_URL: "https://shop.example.com",
  CORS_ORIGINS: "https://shop.example.com",
  METRICS_TOKEN: "m".repeat(32),
};

function ok(env: Record<string, string | undefined>): Config {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(`expected a valid config, got: ${result.problems.join("; ")}`);
  return result.config;
}

function problems(env: Record<string, string | undefined>): string[] {
  const result = loadConfig(env);
  if (result.ok) throw new Error("expected the config to be refused");
  return result.problems;
}

/** The variables named by the problems, one per line `VARIABLE: message`. */
const variables = (lines: string[]) => lines.map((line) => line.split(":")[0]);

describe("loadConfig defaults", () => {
  it("when only the required variables are set, then every documented default applies", () => {
    const config = ok(base);
    expect(config).toMatchObject({
      env: "development",
      isProduction: false,
      port: 3000,
      logLevel: "info",
      database: { url: base.DATABASE_URL, directUrl: base.DATABASE_URL },
      auth: {
        accessTokenTtlSeconds: 900,
        refreshTokenTtlSeconds: 2592000,
        bcryptCost: 12,
        rateLimitPerMinute: 20,
        loginFailureLimit: 10,
        loginFailureEmailLimit: 100,
      },
      stripe: { timeoutMs: 4000, maxNetworkRetries: 2, deadlineMs: 15000, apiUrl: undefined },
      checkout: { sessionTtlMinutes: 60, rateLimitPerMinute: 30, syncRateLimitPerMinute: 60 },
      http: { corsOrigins: [], trustProxy: false, shutdownDelayMs: 5000, shutdownTimeoutMs: 25000, docsEnabled: true },
      redisUrl: undefined,
      metricsToken: undefined,
      metricsPublic: false,
      host: undefined,
      maintenance: { paymentEventRetentionDays: 90 },
    });
    expect(config.auth.bcryptQueueLimit).toBe(4 * config.auth.bcryptConcurrency);
  });

  it("when a variable is an empty string, then it counts as unset", () => {
    expect(ok({ ...base, PORT: "", REDIS_URL: "", CATALOG_FILE: "" })).toMatchObject({ port: 3000, redisUrl: undefined, seed: { catalogFile: undefined } });
  });

  it("when optional values are given, then they land in the nested config", () => {
    const config = ok({
      ...base,
      NODE_ENV: "test",
      PORT: "8080",
      DIRECT_DATABASE_URL: "postgres://app@db-direct.internal:5432/shop",
      ACCESS_TOKEN_TTL_SECONDS: "600",
      REFRESH_TOKEN_TTL_SECONDS: "86400",
      STRIPE_API_URL: "http://127.0.0.1:12111/",
      STRIPE_TIMEOUT_MS: "2000",
      STRIPE_MAX_NETWORK_RETRIES: "1",
      FRONTEND_URL: "http://localhost:5173/",
      CORS_ORIGINS: " http://localhost:5173 , http://127.0.0.1:5173/ ",
      REDIS_URL: "redis://127.0.0.1:6379",
      LOG_LEVEL: "warn",
      CHECKOUT_SESSION_TTL_MINUTES: "35",
      SHUTDOWN_DELAY_MS: "0",
      SHUTDOWN_TIMEOUT_MS: "1000",
      CATALOG_FILE: "/etc/catalog.json",
      BCRYPT_COST: "4",
      AUTH_RATE_LIMIT: "5",
      LOGIN_FAILURE_LIMIT: "3",
      LOGIN_FAILURE_EMAIL_LIMIT: "30",
      SYNC_RATE_LIMIT: "12",
      BCRYPT_QUEUE_LIMIT: "0",
      CHECKOUT_RATE_LIMIT: "7",
      METRICS_TOKEN: "scrape-token",
      METRICS_PUBLIC: "true",
      HOST: "127.0.0.1",
      APP_VERSION: "1.2.3",
      SENTRY_DSN: "https://key@sentry.example.com/1",
    });
    expect(config).toMatchObject({
      env: "test",
      port: 8080,
      logLevel: "warn",
      appVersion: "1.2.3",
      database: { directUrl: "postgres://app@db-direct.internal:5432/shop" },
      host: "127.0.0.1",
      auth: {
        accessTokenTtlSeconds: 600,
        refreshTokenTtlSeconds: 86400,
        bcryptCost: 4,
        rateLimitPerMinute: 5,
        loginFailureLimit: 3,
        loginFailureEmailLimit: 30,
        bcryptQueueLimit: 0,
      },
      stripe: { apiUrl: "http://127.0.0.1:12111", timeoutMs: 2000, maxNetworkRetries: 1 },
      checkout: { sessionTtlMinutes: 35, rateLimitPerMinute: 7, syncRateLimitPerMinute: 12, frontendUrl: "http://localhost:5173" },
      http: { corsOrigins: ["http://localhost:5173", "http://127.0.0.1:5173"], shutdownDelayMs: 0, shutdownTimeoutMs: 1000 },
      redisUrl: "redis://127.0.0.1:6379",
      metricsToken: "scrape-token",
      metricsPublic: true,
      sentryDsn: "https://key@sentry.example.com/1",
      seed: { catalogFile: "/etc/catalog.json" },
    });
  });

  it("when ADMIN_EMAIL and ADMIN_PASSWORD are in the environment, then the server's config never holds them", () => {
    const config = ok({ ...base, ADMIN_EMAIL: "admin@example.com", ADMIN_PASSWORD: "an-admin-password-never-read" });
    const text = JSON.stringify(config);
    expect(text).not.toContain("an-admin-password-never-read");
    expect(text).not.toContain("admin@example.com");
  });
});

describe("loadConfig rules per variable", () => {
  it.each([
    ["NODE_ENV", { NODE_ENV: "staging" }],
    ["PORT", { PORT: "http" }],
    ["PORT", { PORT: "70000" }],
    ["DATABASE_URL", { DATABASE_URL: undefined }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://app@db/shop" }],
    ["DIRECT_DATABASE_URL", { DIRECT_DATABASE_URL: "db.internal:5432" }],
    ["JWT_SECRET", { JWT_SECRET: undefined }],
    ["JWT_SECRET", { JWT_SECRET: "j".repeat(31) }],
    ["STRIPE_SECRET_KEY", { STRIPE_SECRET_KEY: undefined }],
    ["STRIPE_SECRET_KEY", { STRIPE_SECRET_KEY: "pk_test_publishableKey" }],
    ["STRIPE_WEBHOOK_SECRET", { STRIPE_WEBHOOK_SECRET: "secret_without_prefix" }],
    ["STRIPE_API_URL", { STRIPE_API_URL: "ftp://127.0.0.1:12111" }],
    ["STRIPE_TIMEOUT_MS", { STRIPE_TIMEOUT_MS: "-1" }],
    ["FRONTEND_URL", { FRONTEND_URL: "shop.example.com" }],
    ["TRUST_PROXY", { TRUST_PROXY: "true" }],
    ["REDIS_URL", { REDIS_URL: "http://127.0.0.1:6379" }],
    ["LOG_LEVEL", { LOG_LEVEL: "verbose" }],
    // Stripe refuses a session expiring in under 30 minutes; a resumed attempt needs margin.
    ["CHECKOUT_SESSION_TTL_MINUTES", { CHECKOUT_SESSION_TTL_MINUTES: "30" }],
    ["CHECKOUT_SESSION_TTL_MINUTES", { CHECKOUT_SESSION_TTL_MINUTES: "34" }],
    ["CHECKOUT_SESSION_TTL_MINUTES", { CHECKOUT_SESSION_TTL_MINUTES: "1441" }],
    ["SHUTDOWN_DELAY_MS", { SHUTDOWN_DELAY_MS: "soon" }],
    ["SHUTDOWN_TIMEOUT_MS", { SHUTDOWN_TIMEOUT_MS: "1.5" }],
    ["BCRYPT_COST", { BCRYPT_COST: "twelve" }],
    ["AUTH_RATE_LIMIT", { AUTH_RATE_LIMIT: "0" }],
    ["LOGIN_FAILURE_LIMIT", { LOGIN_FAILURE_LIMIT: "0" }],
    ["LOGIN_FAILURE_EMAIL_LIMIT", { LOGIN_FAILURE_EMAIL_LIMIT: "many" }],
    ["LOGIN_FAILURE_EMAIL_LIMIT", { LOGIN_FAILURE_EMAIL_LIMIT: "0" }],
    ["SYNC_RATE_LIMIT", { SYNC_RATE_LIMIT: "0" }],
    ["SYNC_RATE_LIMIT", { SYNC_RATE_LIMIT: "1.5" }],
    ["BCRYPT_QUEUE_LIMIT", { BCRYPT_QUEUE_LIMIT: "-1" }],
    ["BCRYPT_QUEUE_LIMIT", { BCRYPT_QUEUE_LIMIT: "lots" }],
    ["METRICS_PUBLIC", { METRICS_PUBLIC: "yes" }],
    ["SENTRY_DSN", { SENTRY_DSN: "not a url" }],
    ["DOCS_ENABLED", { DOCS_ENABLED: "yes" }],
  ])("when %s is %o, then it is refused by name", (variable, change) => {
    expect(variables(problems({ ...base, ...change }))).toEqual([variable]);
  });

  it.each(["sk_test_abc", "rk_test_abc"])("when the Stripe key is %s outside production, then it is accepted", (key) => {
    expect(ok({ ...base, STRIPE_SECRET_KEY: key }).stripe.secretKey).toBe(key);
  });

  it.each([
    ["sk_live_abc", undefined],
    ["rk_live_abc", undefined],
    ["sk_live_abc", "development"],
    ["sk_live_abc", "test"],
  ])("when the Stripe key is the live %s and NODE_ENV is %s, then it is refused by name, without its value", (key, nodeEnv) => {
    const lines = problems({ ...base, NODE_ENV: nodeEnv, STRIPE_SECRET_KEY: key, STRIPE_API_URL: "http://127.0.0.1:12111" });
    expect(lines).toEqual(["STRIPE_SECRET_KEY: a live key is refused outside production (set NODE_ENV=production)"]);
  });

  it.each([
    ["false", false],
    ["10.0.0.1", ["10.0.0.1"]],
    ["10.0.0.1, 10.0.0.0/8", ["10.0.0.1", "10.0.0.0/8"]],
    ["172.28.0.0/16,::1", ["172.28.0.0/16", "::1"]],
    ["2001:db8::/16", ["2001:db8::/16"]],
    ["::ffff:10.0.0.0/104", ["::ffff:10.0.0.0/104"]],
  ])("when TRUST_PROXY is %s, then express gets %o", (value, expected) => {
    expect(ok({ ...base, TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
  });

  it.each([
    "true",
    "1",
    "2",
    "0.0.0.0/0",
    "::/0",
    "::ffff:0:0/96",
    "0.0.0.0/1,128.0.0.0/1",
    "10.0.0.0/7",
    "2001::/15",
    "::ffff:10.0.0.0/103",
    "::/80",
    "10.0.0.1/33",
    "proxy.internal",
    "10.0.0.1/8/1",
  ])("when TRUST_PROXY is %s, then it is refused with one line naming it", (value) => {
    const lines = problems({ ...base, TRUST_PROXY: value });
    expect(variables(lines)).toEqual(["TRUST_PROXY"]);
    if (value.includes(".") || value.includes(":")) expect(lines[0]!.slice("TRUST_PROXY".length)).not.toContain(value);
  });
});

describe("loadConfig in production", () => {
  it("when everything is set for production, then it starts with docs off", () => {
    expect(ok(production)).toMatchObject({ isProduction: true, http: { docsEnabled: false } });
    expect(ok({ ...production, DOCS_ENABLED: "true" }).http.docsEnabled).toBe(true);
  });

  it.each(["sk_test_abc", "rk_test_abc"])("when the key is a test key (%s), then it is refused", (key) => {
    expect(problems({ ...production, STRIPE_SECRET_KEY: key })).toEqual([
      "STRIPE_SECRET_KEY: a test key is refused in production unless STRIPE_ALLOW_TEST_KEYS=true",
    ]);
  });

  it("when a test key comes with STRIPE_ALLOW_TEST_KEYS=true, then it is accepted", () => {
    expect(ok({ ...production, STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_ALLOW_TEST_KEYS: "true" }).stripe.secretKey).toBe("sk_test_abc");
  });

  it.each([
    ["STRIPE_API_URL", { STRIPE_API_URL: "http://127.0.0.1:12111" }],
    ["FRONTEND_URL", { FRONTEND_URL: undefined }],
    ["CORS_ORIGINS", { CORS_ORIGINS: "*" }],
    ["CORS_ORIGINS", { CORS_ORIGINS: "https://shop.example.com, *" }],
    ["BCRYPT_COST", { BCRYPT_COST: "9" }],
    ["TRUST_PROXY", { TRUST_PROXY: "true" }],
    ["METRICS_TOKEN", { METRICS_TOKEN: undefined }],
    ["METRICS_TOKEN", { METRICS_TOKEN: "m".repeat(31) }],
    ["METRICS_TOKEN", { METRICS_TOKEN: "", METRICS_PUBLIC: "false" }],
  ])("when %s is %o, then production refuses it", (variable, change) => {
    expect(variables(problems({ ...production, ...change }))).toEqual([variable]);
  });

  it("when METRICS_PUBLIC=true says the network protects the port, then production starts without a metrics token", () => {
    expect(ok({ ...production, METRICS_TOKEN: undefined, METRICS_PUBLIC: "true" })).toMatchObject({ metricsToken: undefined, metricsPublic: true });
  });

  it("when a short metrics token is refused, then the line does not carry it", () => {
    expect(problems({ ...production, METRICS_TOKEN: "short-metrics-token" }).join("\n")).not.toContain("short-metrics-token");
  });

  it("when the same values are used outside production, then they are accepted", () => {
    const config = ok({ ...base, STRIPE_API_URL: "http://127.0.0.1:12111", CORS_ORIGINS: "*", BCRYPT_COST: "9" });
    expect(config.stripe.apiUrl).toBe("http://127.0.0.1:12111");
  });
});

describe("loadConfig reporting", () => {
  const bad = {
    NODE_ENV: "production",
    JWT_SECRET: "tooShortSecretValue",
    STRIPE_SECRET_KEY: "sk_test_neverEchoedKey42",
    STRIPE_WEBHOOK_SECRET: "notAWebhookSecret42",
    STRIPE_API_URL: "http://stripe-stand-in.internal:12111",
    CORS_ORIGINS: "*",
    BCRYPT_COST: "8",
    TRUST_PROXY: "true",
    PORT: "port-eighty",
  };

  it("when many variables are wrong, then every problem is reported at once, one line each", () => {
    expect(variables(problems(bad)).sort()).toEqual(
      [
        "BCRYPT_COST",
        "CORS_ORIGINS",
        "DATABASE_URL",
        "FRONTEND_URL",
        "JWT_SECRET",
        "METRICS_TOKEN",
        "PORT",
        "STRIPE_API_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "TRUST_PROXY",
      ].sort(),
    );
  });

  it("when variables are wrong, then no problem line contains a value", () => {
    const text = problems(bad).join("\n");
    for (const value of [bad.JWT_SECRET, bad.STRIPE_SECRET_KEY, bad.STRIPE_WEBHOOK_SECRET, bad.STRIPE_API_URL, bad.PORT]) {
      expect(text).not.toContain(value);
    }
  });
});

describe("main.ts with a bad environment", () => {
  it("when started, then it prints one line per problem, no value, and exits 1 without listening", async () => {
    const run = await runTs("api/src/main.ts", {
      NODE_ENV: "production",
      DATABASE_URL: "postgresql://app:dbPasswordNeverEchoed@127.0.0.1:1/shop",
      JWT_SECRET: "tooShortSecretValue",
      STRIPE_SECRET_KEY: "sk_test_neverEchoedKey42",
      STRIPE_WEBHOOK_SECRET: "whsec_neverEchoedSecret42",
      STRIPE_API_URL: "http://127.0.0.1:12111",
      CORS_ORIGINS: "*",
      PORT: "0",
    });

    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(/listening/);
    const problemLines = run.stderr.split("\n").filter((line) => /^\s+[A-Z_]+: /.test(line));
    expect(problemLines.map((line) => line.trim().split(":")[0]).sort()).toEqual(
      ["CORS_ORIGINS", "FRONTEND_URL", "JWT_SECRET", "METRICS_TOKEN", "STRIPE_API_URL", "STRIPE_SECRET_KEY"].sort(),
    );
    for (const value of ["dbPasswordNeverEchoed", "tooShortSecretValue", "sk_test_neverEchoedKey42", "whsec_neverEchoedSecret42", "127.0.0.1:12111"]) {
      expect(run.stderr + run.stdout).not.toContain(value);
    }
  });

  it("when a production start has a test Stripe key and STRIPE_API_URL, then it is refused with exit 1", async () => {
    const run = await runTs("api/src/main.ts", {
      ...production,
      STRIPE_SECRET_KEY: "sk_test_configSuiteKey123",
      STRIPE_API_URL: "http://127.0.0.1:12111",
      PORT: "0",
    });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\s+STRIPE_SECRET_KEY: a test key is refused in production/m);
    expect(run.stderr).toMatch(/^\s+STRIPE_API_URL: is refused in production/m);
  });

  it("when TRUST_PROXY is 0.0.0.0/0, then it exits 1 with one line naming TRUST_PROXY instead of crashing", async () => {
    const run = await runTs("api/src/main.ts", { ...base, NODE_ENV: "test", TRUST_PROXY: "0.0.0.0/0", PORT: "0" });

    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(/listening/);
    expect(run.stderr).toMatch(/^\s+TRUST_PROXY: an entry wider than an IPv4 \/8 is refused/m);
    expect(run.stderr).not.toMatch(/Start-up failed/);
  });

  it("when a live key is given without NODE_ENV, then it exits 1 naming STRIPE_SECRET_KEY, never its value", async () => {
    const run = await runTs("api/src/main.ts", { ...base, STRIPE_SECRET_KEY: "sk_live_neverEchoedLiveKey", PORT: "0" });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\s+STRIPE_SECRET_KEY: a live key is refused outside production/m);
    expect(run.stderr + run.stdout).not.toContain("sk_live_neverEchoedLiveKey");
  });
});

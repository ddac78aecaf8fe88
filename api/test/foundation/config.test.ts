import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config.js";
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
      auth: { accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 2592000, bcryptCost: 12, rateLimitPerMinute: 20, loginFailureLimit: 10 },
      stripe: { timeoutMs: 4000, maxNetworkRetries: 2, deadlineMs: 15000, apiUrl: undefined },
      checkout: { sessionTtlMinutes: 60, rateLimitPerMinute: 30 },
      http: { corsOrigins: [], trustProxy: false, shutdownDelayMs: 5000, shutdownTimeoutMs: 25000, docsEnabled: true },
      redisUrl: undefined,
      metricsToken: undefined,
      maintenance: { paymentEventRetentionDays: 90 },
    });
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
      CHECKOUT_SESSION_TTL_MINUTES: "30",
      SHUTDOWN_DELAY_MS: "0",
      SHUTDOWN_TIMEOUT_MS: "1000",
      CATALOG_FILE: "/etc/catalog.json",
      BCRYPT_COST: "4",
      AUTH_RATE_LIMIT: "5",
      LOGIN_FAILURE_LIMIT: "3",
      CHECKOUT_RATE_LIMIT: "7",
      METRICS_TOKEN: "scrape-token",
      APP_VERSION: "1.2.3",
      SENTRY_DSN: "https://key@sentry.example.com/1",
      ADMIN_EMAIL: "admin@example.com",
      ADMIN_PASSWORD: "an admin password",
    });
    expect(config).toMatchObject({
      env: "test",
      port: 8080,
      logLevel: "warn",
      appVersion: "1.2.3",
      database: { directUrl: "postgres://app@db-direct.internal:5432/shop" },
      auth: { accessTokenTtlSeconds: 600, refreshTokenTtlSeconds: 86400, bcryptCost: 4, rateLimitPerMinute: 5, loginFailureLimit: 3 },
      stripe: { apiUrl: "http://127.0.0.1:12111", timeoutMs: 2000, maxNetworkRetries: 1 },
      checkout: { sessionTtlMinutes: 30, rateLimitPerMinute: 7, frontendUrl: "http://localhost:5173" },
      http: { corsOrigins: ["http://localhost:5173", "http://127.0.0.1:5173"], shutdownDelayMs: 0, shutdownTimeoutMs: 1000 },
      redisUrl: "redis://127.0.0.1:6379",
      metricsToken: "scrape-token",
      sentryDsn: "https://key@sentry.example.com/1",
      seed: { catalogFile: "/etc/catalog.json", adminEmail: "admin@example.com", adminPassword: "an admin password" },
    });
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
    ["CHECKOUT_SESSION_TTL_MINUTES", { CHECKOUT_SESSION_TTL_MINUTES: "29" }],
    ["CHECKOUT_SESSION_TTL_MINUTES", { CHECKOUT_SESSION_TTL_MINUTES: "1441" }],
    ["SHUTDOWN_DELAY_MS", { SHUTDOWN_DELAY_MS: "soon" }],
    ["SHUTDOWN_TIMEOUT_MS", { SHUTDOWN_TIMEOUT_MS: "1.5" }],
    ["BCRYPT_COST", { BCRYPT_COST: "twelve" }],
    ["AUTH_RATE_LIMIT", { AUTH_RATE_LIMIT: "0" }],
    ["SENTRY_DSN", { SENTRY_DSN: "not a url" }],
    ["DOCS_ENABLED", { DOCS_ENABLED: "yes" }],
  ])("when %s is %o, then it is refused by name", (variable, change) => {
    expect(variables(problems({ ...base, ...change }))).toEqual([variable]);
  });

  it.each(["sk_test_abc", "sk_live_abc", "rk_test_abc", "rk_live_abc"])("when the Stripe key is %s outside production, then it is accepted", (key) => {
    expect(ok({ ...base, STRIPE_SECRET_KEY: key }).stripe.secretKey).toBe(key);
  });

  it.each([
    ["false", false],
    ["2", 2],
    ["10.0.0.1, 10.0.0.0/8", ["10.0.0.1", "10.0.0.0/8"]],
  ])("when TRUST_PROXY is %s, then express gets %o", (value, expected) => {
    expect(ok({ ...base, TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
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
  ])("when %s is %o, then production refuses it", (variable, change) => {
    expect(variables(problems({ ...production, ...change }))).toEqual([variable]);
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
      ["CORS_ORIGINS", "FRONTEND_URL", "JWT_SECRET", "STRIPE_API_URL", "STRIPE_SECRET_KEY"].sort(),
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
});

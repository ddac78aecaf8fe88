import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { NamedPort } from "./ports.js";

/** The sandbox's accounts: printed by the launcher, shown on the storefront's sign-in page. */
export const DEMO_USER = { email: "demo@example.com", password: "demo-password" } as const;
export const DEMO_ADMIN = { email: "admin@example.com", password: "admin-password" } as const;

/** The host name of every browser-facing URL: the refresh cookie is SameSite=Strict, so the storefront and the API must share it. */
export const SANDBOX_HOST = "localhost";

export type StripeMode =
  /** The local stand-in: hosted page, signed webhooks to the API. */
  | { kind: "stand-in"; secretKey: string; webhookSecret: string }
  /** Stripe's test mode (a real sk_test_ key, no STRIPE_API_URL): webhooks come through `stripe listen`. */
  | { kind: "stripe"; secretKey: string; webhookSecret: string; webhookSecretGiven: boolean }
  /** Another Stripe-compatible server (STRIPE_API_URL, e.g. stripe-mock). */
  | { kind: "external"; secretKey: string; webhookSecret: string; apiUrl: string };

export interface SandboxConfig {
  rootDir: string;
  dataDir: string;
  pgDataDir: string;
  watch: boolean;
  reset: boolean;
  ports: { api: number; storefront: number; stripe: number; postgres: number };
  jwtSecret: string;
  stripe: StripeMode;
}

export const USAGE = `Usage: npm run dev [-- --reset] [-- --no-watch]

  --reset      delete the sandbox's data (.dev-data/: database, secrets) and start fresh
  --no-watch   run the API without reloading it on changes

Environment: PORT (API, 3000), STOREFRONT_PORT (3001), STRIPE_STAND_IN_PORT (12111),
DEV_DATABASE_PORT (54329), DEV_DATA_DIR (.dev-data), LOG_LEVEL (info);
STRIPE_SECRET_KEY=sk_test_… (and STRIPE_WEBHOOK_SECRET) to use Stripe's test mode instead of the stand-in.
`;

export class SandboxConfigError extends Error {
  override name = "SandboxConfigError";
}

function port(env: Record<string, string | undefined>, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65535) throw new SandboxConfigError(`${variable} must be a port number (1–65535)`);
  return value;
}

/** Secrets of this sandbox: random per clone, kept in the data folder so tokens survive a restart. */
function localSecrets(dataDir: string): { jwtSecret: string; webhookSecret: string } {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as { jwtSecret: string; webhookSecret: string };
  const secrets = { jwtSecret: randomBytes(32).toString("base64url"), webhookSecret: `whsec_${randomBytes(24).toString("base64url")}` };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

function stripeMode(env: Record<string, string | undefined>, webhookSecret: string): StripeMode {
  const key = env.STRIPE_SECRET_KEY?.trim();
  if (!key) return { kind: "stand-in", secretKey: "sk_test_sandbox_standIn", webhookSecret };
  if (/^(sk|rk)_live_/.test(key)) throw new SandboxConfigError("STRIPE_SECRET_KEY is a live key: the sandbox only takes test keys (sk_test_…)");
  if (!/^(sk|rk)_test_\S+$/.test(key)) throw new SandboxConfigError("STRIPE_SECRET_KEY must be a test key (sk_test_…)");
  const given = env.STRIPE_WEBHOOK_SECRET?.trim();
  if (given && !given.startsWith("whsec_")) throw new SandboxConfigError("STRIPE_WEBHOOK_SECRET must start with whsec_");
  const apiUrl = env.STRIPE_API_URL?.trim();
  if (apiUrl) return { kind: "external", secretKey: key, webhookSecret: given ?? webhookSecret, apiUrl };
  return { kind: "stripe", secretKey: key, webhookSecret: given ?? webhookSecret, webhookSecretGiven: Boolean(given) };
}

/** Reads the flags and the few variables the sandbox honours; undefined after --help. */
export function readSandboxConfig(argv: string[], env: Record<string, string | undefined>, rootDir: string): SandboxConfig | undefined {
  const { values } = parseArgs({
    args: argv,
    options: { reset: { type: "boolean" }, "no-watch": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) return undefined;
  const dataDir = path.resolve(rootDir, env.DEV_DATA_DIR || ".dev-data");
  const ports = {
    api: port(env, "PORT", 3000),
    storefront: port(env, "STOREFRONT_PORT", 3001),
    stripe: port(env, "STRIPE_STAND_IN_PORT", 12111),
    postgres: port(env, "DEV_DATABASE_PORT", 54329),
  };
  if (new Set(Object.values(ports)).size !== 4) throw new SandboxConfigError("PORT, STOREFRONT_PORT, STRIPE_STAND_IN_PORT and DEV_DATABASE_PORT must differ");
  const base = { rootDir, dataDir, pgDataDir: path.join(dataDir, "postgres"), watch: !values["no-watch"], reset: Boolean(values.reset), ports };
  // Secrets are read after a reset has emptied the folder (see withSecrets).
  return { ...base, jwtSecret: "", stripe: stripeMode(env, "") };
}

/** Fills in the secrets from the data folder (after any reset), keeping the Stripe mode. */
export function withSecrets(config: SandboxConfig, env: Record<string, string | undefined>): SandboxConfig {
  const secrets = localSecrets(config.dataDir);
  return { ...config, jwtSecret: secrets.jwtSecret, stripe: stripeMode(env, secrets.webhookSecret) };
}

export const storefrontUrl = (config: SandboxConfig) => `http://${SANDBOX_HOST}:${config.ports.storefront}`;
export const apiUrl = (config: SandboxConfig) => `http://${SANDBOX_HOST}:${config.ports.api}`;
export const standInUrl = (config: SandboxConfig) => `http://${SANDBOX_HOST}:${config.ports.stripe}`;

/** The ports the sandbox will listen on, for the "port taken" check. */
export function sandboxPorts(config: SandboxConfig): NamedPort[] {
  const ports: NamedPort[] = [
    { name: "the API", port: config.ports.api, variable: "PORT" },
    { name: "the storefront", port: config.ports.storefront, variable: "STOREFRONT_PORT" },
    { name: "PostgreSQL", port: config.ports.postgres, variable: "DEV_DATABASE_PORT" },
  ];
  if (config.stripe.kind === "stand-in") ports.push({ name: "the Stripe stand-in", port: config.ports.stripe, variable: "STRIPE_STAND_IN_PORT" });
  return ports;
}

/**
 * The API's environment: the caller's, with everything the sandbox owns set by it. The
 * storefront's origin is allowed by CORS under both loopback names, but the printed URLs
 * all use one (see SANDBOX_HOST).
 */
export function apiEnvironment(config: SandboxConfig, databaseUrl: string, env: Record<string, string | undefined>): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  delete inherited.STRIPE_API_URL;
  const stripe = config.stripe;
  return {
    ...inherited,
    NODE_ENV: "development",
    PORT: String(config.ports.api),
    DATABASE_URL: databaseUrl,
    DIRECT_DATABASE_URL: databaseUrl,
    JWT_SECRET: config.jwtSecret,
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    ...(stripe.kind === "stand-in" ? { STRIPE_API_URL: `http://127.0.0.1:${config.ports.stripe}` } : {}),
    ...(stripe.kind === "external" ? { STRIPE_API_URL: stripe.apiUrl } : {}),
    FRONTEND_URL: storefrontUrl(config),
    CORS_ORIGINS: `${storefrontUrl(config)},http://127.0.0.1:${config.ports.storefront}`,
    // The API listens on loopback only: the sandbox's accounts and secrets are printed for anyone to read.
    HOST: "127.0.0.1",
    // No load balancer to warn: stop at once, so a reload or Ctrl-C takes a moment.
    SHUTDOWN_DELAY_MS: "0",
    SHUTDOWN_TIMEOUT_MS: "5000",
    // One short line per request in the terminal (see log-format.ts).
    LOG_LEVEL: env.LOG_LEVEL || "info",
    BCRYPT_COST: env.BCRYPT_COST || "10",
    // Every page load of the storefront refreshes its session; 20 a minute is too few to click around.
    AUTH_RATE_LIMIT: env.AUTH_RATE_LIMIT || "300",
  };
}

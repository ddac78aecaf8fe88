import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const readRepoFile = (name: string) => readFileSync(path.join(repoRoot, name), "utf8");

/**
 * A small .env reader: `NAME=value` lines, and `# NAME=value` lines (an optional variable
 * left unset, shown with an example), `#` comments. Returns each variable with the comment
 * lines right above it, so tests can check that every variable is explained.
 */
export function parseEnvFile(text: string): Map<string, { value: string; comment: string; commented: boolean }> {
  const vars = new Map<string, { value: string; comment: string; commented: boolean }>();
  let comment: string[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    const match = /^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(trimmed);
    if (match) {
      vars.set(match[2]!, { value: match[3]!, comment: comment.join(" "), commented: match[1] !== undefined });
      continue;
    }
    if (trimmed.startsWith("#")) {
      comment.push(trimmed.replace(/^#\s?/, ""));
      continue;
    }
    // A blank line ends a comment block; consecutive variables share the block above them.
    if (trimmed === "") comment = [];
  }
  return vars;
}

/** The API's environment contract: every variable it documents. */
export const CONTRACT_VARIABLES = [
  "NODE_ENV",
  "PORT",
  "DATABASE_URL",
  "DIRECT_DATABASE_URL",
  "JWT_SECRET",
  "ACCESS_TOKEN_TTL_SECONDS",
  "REFRESH_TOKEN_TTL_SECONDS",
  "STRIPE_SECRET_KEY",
  "STRIPE_ALLOW_TEST_KEYS",
  "STRIPE_WEBHOOK_SECRET",
  "STRIPE_API_URL",
  "FRONTEND_URL",
  "CORS_ORIGINS",
  "TRUST_PROXY",
  "REDIS_URL",
  "LOG_LEVEL",
  "STRIPE_TIMEOUT_MS",
  "STRIPE_MAX_NETWORK_RETRIES",
  "CHECKOUT_SESSION_TTL_MINUTES",
  "SHUTDOWN_DELAY_MS",
  "SHUTDOWN_TIMEOUT_MS",
  "CATALOG_FILE",
  "BCRYPT_COST",
  "AUTH_RATE_LIMIT",
  "LOGIN_FAILURE_LIMIT",
  "CHECKOUT_RATE_LIMIT",
  "METRICS_TOKEN",
  "APP_VERSION",
  "SENTRY_DSN",
  "DOCS_ENABLED",
  "ADMIN_EMAIL",
  "ADMIN_PASSWORD",
  "PAYMENT_EVENT_RETENTION_DAYS",
];

/** Docker's duration strings as compose accepts them (`40s`, `1m30s`, `500ms`) in ms. */
export function durationMs(value: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  const rest = value.replace(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g, (_, n: string, unit: string) => {
    total += Number(n) * units[unit]!;
    return "";
  });
  if (rest !== "" || value === "") throw new Error(`not a duration: ${value}`);
  return total;
}

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/platform/config.js";
import { childEnv } from "../helpers/run-script.js";
import { CONTRACT_VARIABLES, repoRoot } from "./repo-files.js";

/** What `.env.example` leaves for the operator to fill; every other variable is optional. */
const REQUIRED = { DATABASE_URL: "postgresql://app:pw@db:5432/checkout", JWT_SECRET: "a".repeat(64), STRIPE_SECRET_KEY: "sk_live_x", STRIPE_WEBHOOK_SECRET: "whsec_x", NODE_ENV: "production", FRONTEND_URL: "https://shop.example.com", METRICS_TOKEN: "m".repeat(64) };
const DIRECT = "postgresql://app:pw@db-direct:5432/checkout";

/** Every optional variable as Compose passes `NAME=`: an empty string. */
const blankOptional = (): Record<string, string> =>
  Object.fromEntries(CONTRACT_VARIABLES.filter((v) => !(v in REQUIRED)).map((v) => [v, ""]));

/** The datasource URL `prisma` reads from prisma.config.ts, loaded as the CLI loads it: in a fresh process. */
function prismaConfigUrl(env: Record<string, string>): string | undefined {
  const script = 'const m = await import("./prisma.config.ts"); process.stdout.write(JSON.stringify(m.default.datasource ?? {}));';
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: repoRoot, env: childEnv(env), encoding: "utf8" });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return (JSON.parse(result.stdout) as { url?: string }).url;
}

describe("an empty value means unset", () => {
  it("when every optional variable is empty, then prisma.config.ts gives Prisma DATABASE_URL", () => {
    expect(prismaConfigUrl({ ...blankOptional(), ...REQUIRED })).toBe(REQUIRED.DATABASE_URL);
  });

  it("when DIRECT_DATABASE_URL is set, then prisma.config.ts gives Prisma the direct connection", () => {
    expect(prismaConfigUrl({ ...blankOptional(), ...REQUIRED, DIRECT_DATABASE_URL: DIRECT })).toBe(DIRECT);
  });

  it("when no database variable is set at all (prisma generate in npm ci), then prisma.config.ts still loads", () => {
    expect(prismaConfigUrl({ DATABASE_URL: "", DIRECT_DATABASE_URL: "" })).toMatch(/^postgresql:\/\//);
  });

  it("when every optional variable is empty, then the config starts on the defaults with DATABASE_URL as the direct URL", () => {
    const loaded = loadConfig({ ...blankOptional(), ...REQUIRED });
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
    if (!loaded.ok) return;
    expect(loaded.config.database.url).toBe(REQUIRED.DATABASE_URL);
    expect(loaded.config.database.directUrl).toBe(REQUIRED.DATABASE_URL);
    expect(loaded.config.redisUrl).toBeUndefined();
    expect(loaded.config.sentryDsn).toBeUndefined();
    expect(loaded.config.port).toBe(3000);
    expect(loaded.config.http.trustProxy).toBe(false);
  });

  it("when DIRECT_DATABASE_URL is set, then the config uses it for migrations and locks", () => {
    const loaded = loadConfig({ ...blankOptional(), ...REQUIRED, DIRECT_DATABASE_URL: DIRECT });
    expect(loaded.ok && loaded.config.database.directUrl).toBe(DIRECT);
  });
});

import { newRunId, smokeChecks } from "./smoke-checks.js";
import { CheckFailed, createSmokeHttp } from "./smoke-http.js";

/**
 * `npm run smoke`: the checks of SMOKE_TEST.md
 * against BASE_URL. Prints each with ✔ or ✘ and stops at the first failure (exit 1).
 *
 *   BASE_URL=https://api.example.com npm run smoke                      # creates nothing
 *   BASE_URL=… SMOKE_EMAIL=… SMOKE_PASSWORD=… npm run smoke             # also a login
 *   BASE_URL=… SMOKE_CHECKOUT=1 npm run smoke                           # + account, checkout session (test keys)
 *   BASE_URL=http://127.0.0.1:3000 SMOKE_SANDBOX=1 npm run smoke        # + pays through the Stripe stand-in
 */

const out = (line: string) => process.stdout.write(`${line}\n`);
const env = process.env;
const on = (name: string) => ["1", "true", "yes"].includes((env[name] ?? "").toLowerCase());

function configuration(): { baseUrl: string; sandbox: boolean; checkout: boolean; account?: { email: string; password: string } } | string {
  const raw = env.BASE_URL?.trim();
  if (!raw) return "BASE_URL is required, e.g. BASE_URL=http://127.0.0.1:3000";
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) return "BASE_URL must be an http(s) URL";
  if (Boolean(env.SMOKE_EMAIL) !== Boolean(env.SMOKE_PASSWORD)) return "SMOKE_EMAIL and SMOKE_PASSWORD go together";
  const sandbox = on("SMOKE_SANDBOX");
  return {
    baseUrl: raw.replace(/\/+$/, ""),
    sandbox,
    checkout: sandbox || on("SMOKE_CHECKOUT"),
    ...(env.SMOKE_EMAIL && env.SMOKE_PASSWORD ? { account: { email: env.SMOKE_EMAIL, password: env.SMOKE_PASSWORD } } : {}),
  };
}

async function main(): Promise<number> {
  const config = configuration();
  if (typeof config === "string") {
    process.stderr.write(`npm run smoke: ${config}\n`);
    return 2;
  }
  const runId = newRunId();
  const mode = config.sandbox ? "sandbox: pays through the Stripe stand-in" : config.checkout ? "checkout: creates an account and a checkout session" : "production: creates nothing";
  out(`Smoke test of ${config.baseUrl} (${mode}); request ids smoke-${runId}-*`);
  const http = createSmokeHttp(config.baseUrl, runId, Number(env.SMOKE_TIMEOUT_MS ?? 10_000));
  const checks = smokeChecks(http, { ...config, runId, paidWithinMs: 20_000 });
  for (const check of checks) {
    if (check.skip) {
      out(`  – ${check.name} (skipped: ${check.skip})`);
      continue;
    }
    const started = performance.now();
    try {
      await check.run();
    } catch (err) {
      out(`  ✘ ${check.name}`);
      out(`      ${err instanceof CheckFailed ? err.message : (err as Error).stack}`);
      return 1;
    }
    out(`  ✔ ${check.name} (${Math.round(performance.now() - started)} ms)`);
  }
  out("All smoke checks passed.");
  return 0;
}

process.exitCode = await main();

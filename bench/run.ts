import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startStripeStandIn } from "../dev/stripe-stand-in/index.js";
import { appRss, type Bench, type Buyer } from "./lib/bench-context.js";
import { openBenchDatabase } from "./lib/database.js";
import { BENCH_WEBHOOK_SECRET } from "./lib/events.js";
import { ROOT, startApp, type Service } from "./lib/processes.js";
import { formatTable, gitState, machine, writeReport, type BenchReport } from "./lib/report.js";
import { seedIngestUser, seedListedOrders, seedProduct } from "./lib/seed.js";
import { backlogScenario } from "./scenarios/backlog.js";
import { checkoutLatencyScenario } from "./scenarios/checkout-latency.js";
import { costScenario } from "./scenarios/cost.js";
import { growthScenario } from "./scenarios/growth.js";
import { loginStormScenario } from "./scenarios/login-storm.js";
import { soakScenario } from "./scenarios/soak.js";

/**
 * `npm run bench [-- --quick] [-- --only=backlog,cost] [-- --soak-minutes N]`: the compiled
 * API (`node dist/main.js`, built by `npm run bench`) against a real PostgreSQL and the
 * Stripe stand-in, driven only through HTTP, loaded by autocannon in its own process.
 * See bench/README.md.
 */

/** In this order: the soak's rates come from the backlog's and checkout's capacities. */
const SCENARIOS = {
  backlog: backlogScenario,
  cost: costScenario,
  checkout: checkoutLatencyScenario,
  logins: loginStormScenario,
  soak: soakScenario,
  growth: growthScenario,
} satisfies Record<string, (bench: Bench) => Promise<void>>;
type ScenarioName = keyof typeof SCENARIOS;

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes("=") ? args[i]!.slice(args[i]!.indexOf("=") + 1) : args[i + 1];
};
const quick = args.includes("--quick");
const only = option("only")?.split(",");
const unknown = only?.filter((name) => !(name in SCENARIOS));
if (unknown?.length) throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}`);
const soakMinutes = Number(option("soak-minutes") ?? (quick ? 0.25 : 10));
if (!(soakMinutes > 0)) throw new Error("--soak-minutes must be a positive number");
// The growth scenario seeds 1,000,000 rows: never in the quick (CI) run unless asked for by name.
const wanted = (Object.keys(SCENARIOS) as ScenarioName[]).filter((name) => (only ? only.includes(name) : !(quick && name === "growth")));

const BUYERS = 4;
const JSON_HEADERS = { "content-type": "application/json" };

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The API's environment: non-production (the stand-in), info logs to a file, limits that do not shape the numbers. */
function apiEnvironment(databaseUrl: string): Record<string, string> {
  return {
    NODE_ENV: "development",
    DATABASE_URL: databaseUrl,
    JWT_SECRET: randomBytes(32).toString("hex"),
    STRIPE_SECRET_KEY: "sk_test_benchApiKey",
    STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
    FRONTEND_URL: "http://localhost:3000",
    CORS_ORIGINS: "http://localhost:3000",
    LOG_LEVEL: "info",
    BCRYPT_COST: "12",
    AUTH_RATE_LIMIT: "1000000",
    CHECKOUT_RATE_LIMIT: "1000000",
    SYNC_RATE_LIMIT: "1000000",
    LOGIN_FAILURE_LIMIT: "1000000",
    LOGIN_FAILURE_EMAIL_LIMIT: "1000000",
    ACCESS_TOKEN_TTL_SECONDS: "86400",
    SHUTDOWN_DELAY_MS: "0",
  };
}

async function main(): Promise<number> {
  if (!existsSync(path.join(ROOT, "dist/main.js"))) throw new Error("dist/main.js is missing: run `npm run bench`, which builds first");
  const startedAt = new Date();
  const loadAverageBefore = os.loadavg();
  const resultsDir = path.join(ROOT, "bench", "results");
  mkdirSync(resultsDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");

  const db = await openBenchDatabase();
  const standIn = await startStripeStandIn({ webhookSecret: BENCH_WEBHOOK_SECRET, recordRequests: false });
  const stops: (() => Promise<void>)[] = [() => db.close(), () => standIn.close()];
  const report: BenchReport = {
    mode: quick ? "quick" : "full",
    startedAt: startedAt.toISOString(),
    durationS: 0,
    ...gitState(),
    ...machine(),
    database: db.server,
    loadAverageBefore,
    loadAverageAfter: [],
    rows: [],
    plans: [],
    notes: [],
  };
  const env = apiEnvironment(db.url);
  const startApi = async (name: string, stripeUrl: string): Promise<Service> => {
    const logFile = path.join(resultsDir, `${name}-${stamp}.log`);
    const service = await startApp({ ...env, STRIPE_API_URL: stripeUrl }, logFile);
    process.stderr.write(`bench: ${name} API pid ${service.child!.pid} at ${service.url}, log ${path.relative(ROOT, logFile)}\n`);
    return service;
  };
  try {
    const app = await startApi("app", standIn.url);
    stops.unshift(() => app.stop());
    const productId = await seedProduct(db.pool);
    const buyers: Buyer[] = [];
    for (let i = 0; i < BUYERS; i += 1) {
      const email = `buyer-${i}@bench.test`;
      const password = `bench-password-${i}-0123456789`;
      const { user } = (await post(`${app.url}/auth/register`, { email, password })) as { user: { id: string } };
      const { accessToken } = (await post(`${app.url}/auth/login`, { email, password })) as { accessToken: string };
      buyers.push({ id: user.id, email, password, token: accessToken });
    }
    report.notes.push(`API RSS after start-up and ${BUYERS} registrations ${Math.round(appRss(app))} MB`);
    let series = 0;
    const bench: Bench = {
      quick,
      soakMinutes,
      db,
      app,
      standIn,
      startApi,
      ingestUserId: await seedIngestUser(db.pool),
      buyers,
      productId,
      capacity: {},
      rows: report.rows,
      plans: report.plans,
      notes: report.notes,
      nextSeries: () => (series += 1),
    };
    await seedListedOrders(db.pool, buyers[0]!.id, productId, bench.nextSeries(), 2_000);

    for (const name of wanted) {
      const started = Date.now();
      process.stderr.write(`bench: ${name}…\n`);
      try {
        await SCENARIOS[name](bench);
      } catch (err) {
        report.rows.push({ scenario: name, value: Number.NaN, unit: "", target: "runs", pass: false, broken: `crashed: ${(err as Error).stack ?? String(err)}` });
      }
      report.notes.push(`${name}: ${((Date.now() - started) / 1000).toFixed(0)} s, API RSS afterwards ${Math.round(appRss(app))} MB`);
    }
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }

  report.durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
  report.loadAverageAfter = os.loadavg();
  const file = writeReport(report);
  printReport(report, path.relative(ROOT, file));

  if (report.rows.some((r) => r.broken)) return 1;
  // Timing decides only a full run: --quick (CI) checks correctness on a machine whose speed means nothing.
  return !quick && report.rows.some((r) => r.pass === false) ? 1 : 0;
}

function printReport(report: BenchReport, file: string): void {
  const out = process.stdout;
  out.write(`\n${formatTable(report.rows, report.mode === "quick")}\n\n`);
  for (const row of report.rows) for (const note of [...(row.notes ?? []), ...(row.broken ? [`BROKEN: ${row.broken}`] : [])]) out.write(`- ${row.scenario.trim()}: ${note}\n`);
  for (const note of report.notes) out.write(`- ${note}\n`);
  out.write(
    `\n${report.mode} run, ${report.durationS} s, commit ${report.commit}${report.dirty ? " (with uncommitted changes)" : ""}, ${report.cpus} cores (${report.cpuModel}), Node ${report.node}, ${report.database}\n` +
      `load average before ${report.loadAverageBefore.map((l) => l.toFixed(2)).join(" ")}, after ${report.loadAverageAfter.map((l) => l.toFixed(2)).join(" ")}\n` +
      `API logs and results: bench/results/ (${file})\n`,
  );
  for (const plan of report.plans) out.write(`\n--- plan: ${plan.name}\n${plan.sql}\n${plan.plan}\n`);
  const broken = report.rows.filter((r) => r.broken);
  const missed = report.rows.filter((r) => r.pass === false && !r.broken);
  if (broken.length) out.write(`\nFAILED: ${broken.map((r) => `${r.scenario.trim()}: ${r.broken}`).join("\n        ")}\n`);
  if (missed.length && report.mode === "full") out.write(`\nTARGETS MISSED: ${missed.map((r) => `${r.scenario.trim()}: ${(r.notes ?? [])[0] ?? "see notes"}`).join("\n                ")}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

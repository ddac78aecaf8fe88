import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startStripeStandIn } from "../api/src/dev/stripe-stand-in/index.js";
import { appRss, memoryBreakdown, type Bench } from "./lib/bench-context.js";
import { openBenchDatabase } from "./lib/database.js";
import { BENCH_WEBHOOK_SECRET } from "./lib/events.js";
import { ROOT, rssMb, startApp, startBaseline } from "./lib/processes.js";
import { formatTable, gitState, machine, writeReport, type BenchReport } from "./lib/report.js";
import { seedIngestUser, seedListedOrders, seedProduct } from "./lib/seed.js";
import { checkoutScenario, healthScenario } from "./scenarios/checkout-and-health.js";
import { growthScenario, memoryScenario } from "./scenarios/growth-and-memory.js";
import { duplicateStormScenario, webhookIngestScenario } from "./scenarios/webhooks.js";

/**
 * `npm run bench [-- --quick] [-- --only=ingest,health]`: the compiled API (as `npm start` runs it,
 * built by `npm run bench`) against a real PostgreSQL and the Stripe stand-in, loaded by
 * autocannon in its own process, every figure next to a baseline measured in the same run.
 * See bench/README.md.
 */

const SCENARIOS = {
  ingest: webhookIngestScenario,
  duplicates: duplicateStormScenario,
  checkout: checkoutScenario,
  health: healthScenario,
  growth: growthScenario,
  memory: memoryScenario,
} satisfies Record<string, (bench: Bench) => Promise<void>>;
type ScenarioName = keyof typeof SCENARIOS;

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",") as ScenarioName[] | undefined;
/** Seconds per measurement (e.g. longer, to attach a profiler); default 10, or 2 with --quick. */
const seconds = Number(args.find((a) => a.startsWith("--seconds="))?.slice("--seconds=".length) ?? (quick ? 2 : 10));
const wanted = (Object.keys(SCENARIOS) as ScenarioName[]).filter((name) => (only ? only.includes(name) : !(quick && name === "growth")));

const BUYER_PASSWORD = "bench-password-0123456789";
const JSON_HEADERS = { "content-type": "application/json" };

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function main(): Promise<number> {
  if (!existsSync(path.join(ROOT, "dist/main.js"))) throw new Error("dist/main.js is missing: run `npm run bench`, which builds first");
  const startedAt = new Date();
  const loadAverageBefore = os.loadavg();
  const resultsDir = path.join(ROOT, "bench", "results");
  mkdirSync(resultsDir, { recursive: true });
  const logFile = path.join(resultsDir, `app-${startedAt.toISOString().replace(/[:.]/g, "-")}.log`);

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
  try {
    const app = await startApp(
      {
        NODE_ENV: "development",
        DATABASE_URL: db.url,
        JWT_SECRET: randomBytes(32).toString("hex"),
        STRIPE_SECRET_KEY: "sk_test_benchApiKey",
        STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
        STRIPE_API_URL: standIn.url,
        FRONTEND_URL: "http://localhost:3000",
        CORS_ORIGINS: "http://localhost:3000",
        LOG_LEVEL: "info",
        // Limits must not shape the numbers.
        AUTH_RATE_LIMIT: "1000000000",
        CHECKOUT_RATE_LIMIT: "1000000000",
        LOGIN_FAILURE_LIMIT: "1000000000",
        ACCESS_TOKEN_TTL_SECONDS: "3600",
        SHUTDOWN_DELAY_MS: "0",
      },
      logFile,
    );
    stops.unshift(() => app.stop());
    process.stderr.write(`bench: API pid ${app.child!.pid} at ${app.url}, log ${path.relative(ROOT, logFile)}\n`);
    const webhookBaseline = await startBaseline("webhook-baseline.ts", { DATABASE_URL: db.url, WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET });
    stops.unshift(() => webhookBaseline.stop());
    const expressBaseline = await startBaseline("express-baseline.ts", {});
    stops.unshift(() => expressBaseline.stop());

    const email = "buyer@bench.test";
    const registered = (await post(`${app.url}/auth/register`, { email, password: BUYER_PASSWORD })).user as { id: string };
    const token = (await post(`${app.url}/auth/login`, { email, password: BUYER_PASSWORD })).accessToken as string;
    const productId = await seedProduct(db.pool);
    report.notes.push(`API RSS after start-up ${Math.round(rssMb(app.child!.pid!))} MB`);
    let series = 0;
    const bench: Bench = {
      quick,
      warmS: quick ? 1 : 2,
      measureS: seconds,
      db,
      app,
      webhookBaseline,
      expressBaseline,
      standIn,
      ingestUserId: await seedIngestUser(db.pool),
      buyer: { id: registered.id, email, password: BUYER_PASSWORD, token },
      productId,
      rows: report.rows,
      plans: report.plans,
      notes: report.notes,
      nextSeries: () => (series += 1),
    };
    await seedListedOrders(db.pool, registered.id, productId, bench.nextSeries(), 2_000);

    for (const name of wanted) {
      const started = Date.now();
      process.stderr.write(`bench: ${name}…\n`);
      try {
        await SCENARIOS[name](bench);
      } catch (err) {
        report.rows.push({ scenario: name, value: Number.NaN, unit: "", target: "runs", pass: false, broken: `crashed: ${(err as Error).stack ?? String(err)}` });
      }
      const memory = await memoryBreakdown(bench).catch(() => "");
      report.notes.push(`${name}: ${((Date.now() - started) / 1000).toFixed(0)} s, API RSS afterwards ${Math.round(appRss(bench))} MB (${memory})`);
    }
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }

  for (const row of report.rows) if (row.value === 0 && row.unit.endsWith("/s") && !row.broken && !row.scenario.includes("login")) row.broken = "no successful answer";
  report.durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
  report.loadAverageAfter = os.loadavg();
  const file = writeReport(report);

  const out = process.stdout;
  out.write(`\n${formatTable(report.rows)}\n\n`);
  for (const row of report.rows) for (const note of [...(row.notes ?? []), ...(row.broken ? [`BROKEN: ${row.broken}`] : [])]) out.write(`- ${row.scenario.trim()}: ${note}\n`);
  for (const note of report.notes) out.write(`- ${note}\n`);
  out.write(
    `\n${report.mode} run, ${report.durationS} s, commit ${report.commit}${report.dirty ? " (with uncommitted changes)" : ""}, ${report.cpus} cores (${report.cpuModel}), Node ${report.node}, ${report.database}\n` +
      `load average before ${loadAverageBefore.map((l) => l.toFixed(2)).join(" ")}, after ${report.loadAverageAfter.map((l) => l.toFixed(2)).join(" ")}\n` +
      `app log: ${path.relative(ROOT, logFile)}; results: ${path.relative(ROOT, file)}\n`,
  );
  if (report.plans.length && !quick) for (const plan of report.plans) out.write(`\n--- plan: ${plan.name}\n${plan.plan}\n`);

  const broken = report.rows.filter((r) => r.broken);
  if (broken.length) return 1;
  // Timing targets decide the exit code of a full run only: on shared CI machines they are noise.
  return !quick && report.rows.some((r) => r.pass === false) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

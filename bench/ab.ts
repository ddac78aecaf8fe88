/**
 * `npx tsx bench/ab.ts <distA> <distB> [--scenario=webhook|health] [--rounds=8] [--seconds=4]`
 *
 * A/B of two builds of the API (copy `dist` aside before a change, build after it): both
 * run at once against one database and are loaded at the same time, 16 connections each,
 * in short rounds, so the machine's drift (bench/README.md, "Margins") hits both alike
 * (loading them in turn, the same build twice measured 20 µs apart). It prints each
 * build's median CPU per answer (API process, and the PostgreSQL backends of its own
 * connections, told apart by application_name), the figure the findings in
 * bench/README.md compare. The first round is a warm-up.
 *
 * Env: AB_ENV_A / AB_ENV_B, extra environment for one build as JSON (e.g. a feature toggle).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { openSync } from "node:fs";
import path from "node:path";
import { openBenchDatabase } from "./lib/database.js";
import { BENCH_WEBHOOK_SECRET } from "./lib/events.js";
import type { LoadRequest } from "./lib/load-spec.js";
import type pg from "pg";
import { cpuSeconds, databaseCpuBetween, freePort, ROOT, runLoad } from "./lib/processes.js";
import { seedIngestUser, seedPendingOrders } from "./lib/seed.js";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const [distA, distB] = args.filter((a) => !a.startsWith("--")).map((d) => path.resolve(d));
if (!distA || !distB) throw new Error("usage: npx tsx bench/ab.ts <distA> <distB> [--scenario=webhook|health] [--rounds=8] [--seconds=4]");
const scenario = option("scenario", "webhook");
const rounds = Number(option("rounds", "8"));
const seconds = Number(option("seconds", "4"));
const ORDERS_PER_ROUND = 40_000;

interface Build {
  tag: "A" | "B";
  url: string;
  child: ChildProcess;
  cpu: number[];
  db: number[];
}

async function startBuild(tag: "A" | "B", dist: string, databaseUrl: string, jwtSecret: string): Promise<Build> {
  const port = await freePort();
  const out = openSync(path.join(ROOT, "bench", "results", `ab-${tag}.log`), "w");
  const extra = JSON.parse(process.env[`AB_ENV_${tag}`] ?? "{}") as Record<string, string>;
  const child = spawn(process.execPath, [path.join(dist, "main.js")], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "development",
      DATABASE_URL: withApplicationName(databaseUrl, `ab-${tag}`),
      JWT_SECRET: jwtSecret,
      STRIPE_SECRET_KEY: "sk_test_benchApiKey",
      STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
      // Never called in these scenarios.
      STRIPE_API_URL: "http://127.0.0.1:9",
      FRONTEND_URL: "http://localhost:3000",
      CORS_ORIGINS: "http://localhost:3000",
      LOG_LEVEL: "info",
      SHUTDOWN_DELAY_MS: "0",
      ...extra,
      PORT: String(port),
    },
    stdio: ["ignore", out, out],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); tries += 1) {
    if (tries > 300 || child.exitCode !== null) throw new Error(`build ${tag} did not start; see bench/results/ab-${tag}.log`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { tag, url, child, cpu: [], db: [] };
}

async function main(): Promise<void> {
  const database = await openBenchDatabase();
  const builds: Build[] = [];
  try {
    const jwtSecret = randomBytes(32).toString("hex");
    builds.push(await startBuild("A", distA!, database.url, jwtSecret), await startBuild("B", distB!, database.url, jwtSecret));
    const userId = await seedIngestUser(database.pool);
    let series = 0;
    const request = async (): Promise<LoadRequest> => {
      if (scenario === "health") return { kind: "static", method: "GET", path: "/health" };
      series += 1;
      await seedPendingOrders(database.pool, userId, series, ORDERS_PER_ROUND);
      return { kind: "webhook", series, start: 0, count: ORDERS_PER_ROUND };
    };
    for (let round = 0; round < rounds; round += 1) {
      const loads = [await request(), await request()];
      const before = await Promise.all(builds.map(async (build) => ({ cpu: cpuSeconds(build.child.pid!), db: await backendCpu(database.pool, build.tag) })));
      const results = await runLoad(builds.map((build, i) => ({ name: build.tag, url: build.url, connections: 16, durationS: seconds, request: loads[i]! })));
      for (const [i, build] of builds.entries()) {
        const result = results[i]!;
        const cpu = ((cpuSeconds(build.child.pid!) - before[i]!.cpu) * 1e6) / result.ok;
        const db = (databaseCpuBetween(before[i]!.db, await backendCpu(database.pool, build.tag)) * 1e6) / result.ok;
        if (result.errors > 0 || result.exhausted) throw new Error(`build ${build.tag}: ${result.errors} errors${result.exhausted ? ", ran out of orders" : ""}`);
        process.stderr.write(`round ${round} ${build.tag}: ${Math.round(result.throughput)}/s, API ${Math.round(cpu)} µs + PostgreSQL ${Math.round(db)} µs per answer\n`);
        if (round > 0) {
          build.cpu.push(cpu);
          build.db.push(db);
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const [a, b] = builds as [Build, Build];
    // Each round loads both at once, so the round's difference is the paired figure.
    const diff = (xs: number[], ys: number[]) => median(ys.map((y, i) => y - xs[i]!)).toFixed(0);
    process.stdout.write(
      `${scenario}: A ${median(a.cpu).toFixed(0)} + ${median(a.db).toFixed(0)} µs, B ${median(b.cpu).toFixed(0)} + ${median(b.db).toFixed(0)} µs per answer ` +
        `(API + PostgreSQL, medians of ${rounds - 1} rounds); B − A, median of the rounds' differences: API ${diff(a.cpu, b.cpu)} µs, PostgreSQL ${diff(a.db, b.db)} µs\n`,
    );
  } finally {
    for (const build of builds) build.child.kill("SIGTERM");
    await database.close();
  }
}

/** The build's own connections are named, so its PostgreSQL backends can be told apart. */
function withApplicationName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set("application_name", name);
  return url.toString();
}

/** CPU seconds so far of the PostgreSQL backends serving one build, by pid. */
async function backendCpu(pool: pg.Pool, tag: string): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [`ab-${tag}`]);
  return new Map(rows.map((row) => [row.pid, cpuSeconds(row.pid)]));
}

await main();

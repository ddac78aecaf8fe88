/**
 * `npx tsx bench/ab.ts <distA> <distB> [--scenario=webhook|health] [--rounds=8] [--seconds=4]`
 *
 * A/B of two builds of the API (copy `dist` aside before a change, build after it): both
 * run at once against one database, and the load alternates between them in short rounds
 * (A B, B A, …), so the machine's drift (bench/README.md, "Margins") hits both alike. It
 * prints each build's median CPU per answer (API process, and PostgreSQL's backends), the
 * figure the findings in bench/README.md compare. The first round of each is a warm-up.
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
import { cpuSeconds, databaseCpuBetween, databaseCpuSeconds, freePort, ROOT, runLoad } from "./lib/processes.js";
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
      DATABASE_URL: databaseUrl,
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
    const databaseName = new URL(database.url).pathname.slice(1);
    const userId = await seedIngestUser(database.pool);
    let series = 0;
    const request = async (): Promise<LoadRequest> => {
      if (scenario === "health") return { kind: "static", method: "GET", path: "/health" };
      series += 1;
      await seedPendingOrders(database.pool, userId, series, ORDERS_PER_ROUND);
      return { kind: "webhook", series, start: 0, count: ORDERS_PER_ROUND };
    };
    for (let round = 0; round < rounds; round += 1) {
      for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
        const load = await request();
        const cpuBefore = cpuSeconds(build.child.pid!);
        const dbBefore = databaseCpuSeconds(databaseName);
        const [result] = await runLoad([{ name: build.tag, url: build.url, connections: 32, durationS: seconds, request: load }]);
        const cpu = ((cpuSeconds(build.child.pid!) - cpuBefore) * 1e6) / result!.ok;
        const db = (databaseCpuBetween(dbBefore, databaseCpuSeconds(databaseName)) * 1e6) / result!.ok;
        if (result!.errors > 0 || result!.exhausted) throw new Error(`build ${build.tag}: ${result!.errors} errors${result!.exhausted ? ", ran out of orders" : ""}`);
        process.stderr.write(`round ${round} ${build.tag}: ${Math.round(result!.throughput)}/s, API ${Math.round(cpu)} µs + PostgreSQL ${Math.round(db)} µs per answer\n`);
        if (round > 0) {
          build.cpu.push(cpu);
          build.db.push(db);
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const [a, b] = builds as [Build, Build];
    process.stdout.write(
      `${scenario}: A ${median(a.cpu).toFixed(0)} + ${median(a.db).toFixed(0)} µs, B ${median(b.cpu).toFixed(0)} + ${median(b.db).toFixed(0)} µs per answer ` +
        `(API + PostgreSQL, medians of ${rounds - 1} rounds); B − A: API ${(median(b.cpu) - median(a.cpu)).toFixed(0)} µs, PostgreSQL ${(median(b.db) - median(a.db)).toFixed(0)} µs\n`,
    );
  } finally {
    for (const build of builds) build.child.kill("SIGTERM");
    await database.close();
  }
}

await main();

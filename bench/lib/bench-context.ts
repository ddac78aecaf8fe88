import type { StripeStandIn } from "../../api/src/dev/stripe-stand-in/index.js";
import type { BenchDatabase } from "./database.js";
import type { LoadRequest, LoadResult } from "./load-spec.js";
import { cpuSeconds, databaseCpuBetween, databaseCpuSeconds, rssMb, runLoad, type Service } from "./processes.js";
import type { Plan, Row } from "./report.js";

/** Everything a scenario needs, set up once by bench/run.ts. */
export interface Bench {
  quick: boolean;
  /** Seconds of warm-up (JIT, pool connections) before each measurement, and of measurement. */
  warmS: number;
  measureS: number;
  db: BenchDatabase;
  app: Service;
  webhookBaseline: Service;
  expressBaseline: Service;
  standIn: StripeStandIn;
  /** Owns the pending orders the webhook scenarios pay. */
  ingestUserId: string;
  /** Registered through the API: logs in, checks out, lists orders. */
  buyer: { id: string; email: string; password: string; token: string };
  productId: string;
  rows: Row[];
  plans: Plan[];
  notes: string[];
  /** A fresh order-id series for each batch of seeded orders. */
  nextSeries(): number;
}

/** Runs one load (after a warm-up with `warm` when given) and returns the measured part. */
export async function measure(
  bench: Bench,
  target: Service,
  name: string,
  connections: number,
  request: LoadRequest,
  options: { warm?: LoadRequest; durationS?: number; quiet?: boolean } = {},
): Promise<LoadResult> {
  if (options.warm) await runLoad([{ name: `${name} (warm-up)`, url: target.url, connections, durationS: bench.warmS, request: options.warm }]);
  if (!options.quiet) process.stderr.write(`bench:   ${name} (${connections} conn, ${options.durationS ?? bench.measureS} s)\n`);
  const database = new URL(bench.db.url).pathname.slice(1);
  const cpuBefore = target.child ? cpuSeconds(target.child.pid!) : Number.NaN;
  const dbBefore = databaseCpuSeconds(database);
  const [result] = await runLoad([{ name, url: target.url, connections, durationS: options.durationS ?? bench.measureS, request }]);
  const cpu = target.child ? cpuSeconds(target.child.pid!) - cpuBefore : Number.NaN;
  const db = databaseCpuBetween(dbBefore, databaseCpuSeconds(database));
  // CPU per answer barely depends on what else the machine runs: the figure to compare changes by.
  const perOk = (seconds: number) => (seconds * 1e6) / Math.max(1, result!.ok);
  return { ...result!, cpuUsPerOk: perOk(cpu), dbCpuUsPerOk: perOk(db) };
}

export const appRss = (bench: Bench) => rssMb(bench.app.child!.pid!);

/** `value` against `limit` with `digits` shown, e.g. "p99 61 ms > 50 ms". */
export const over = (what: string, value: number, limit: number, unit: string) => `${what} ${Math.round(value)} ${unit} > ${limit} ${unit}`;
export const under = (what: string, value: number, limit: number, unit: string) => `${what} ${Math.round(value)} ${unit} < ${limit} ${unit}`;

/** Reads one counter of the app's Prometheus text (`GET /metrics`). */
export async function counter(bench: Bench, name: string, labels: Record<string, string>): Promise<number> {
  const text = await fetch(`${bench.app.url}/metrics`).then((r) => r.text());
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** The API's own view of its memory (prom-client's default metrics), MB. */
export async function memoryBreakdown(bench: Bench): Promise<string> {
  const text = await fetch(`${bench.app.url}/metrics`).then((r) => r.text());
  const mb = (name: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    return line ? Math.round(Number(line.slice(name.length + 1)) / 1048576) : Number.NaN;
  };
  return `heap used ${mb("nodejs_heap_size_used_bytes")} of ${mb("nodejs_heap_size_total_bytes")} MB, external ${mb("nodejs_external_memory_bytes")} MB`;
}

/** "CPU per answer: API 410 µs, baseline 190 µs" (µs of the server process per 2xx). */
export const cpuNote = (app: LoadResult, baseline?: LoadResult, label = "baseline") => {
  const us = (n: number | undefined) => `${Math.round(n ?? Number.NaN)} µs`;
  const side = (r: LoadResult) => `${us(r.cpuUsPerOk)} (+ PostgreSQL ${us(r.dbCpuUsPerOk)})`;
  return `CPU per answer: API ${side(app)}${baseline?.cpuUsPerOk !== undefined && !Number.isNaN(baseline.cpuUsPerOk) ? `, ${label} ${side(baseline)}` : ""}`;
};

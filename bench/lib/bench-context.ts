import type { StripeStandIn } from "../../dev/stripe-stand-in/index.js";
import type { BenchDatabase } from "./database.js";
import type { LoadResult, LoadRun } from "./load-spec.js";
import { cpuSeconds, rssMb, runLoad, type Service } from "./processes.js";
import type { Plan, Row } from "./report.js";

export interface Buyer {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** Everything a scenario needs, set up once by bench/run.ts. */
export interface Bench {
  /** Correctness checks only: small loads, no timing target decides anything. */
  quick: boolean;
  soakMinutes: number;
  db: BenchDatabase;
  /** The API under test, pointed at `standIn`, which answers at once. */
  app: Service;
  standIn: StripeStandIn;
  /** Starts another API process (same environment) against another Stripe URL. */
  startApi(name: string, stripeUrl: string): Promise<Service>;
  /** Owns the pending orders the webhook scenarios pay (never logs in). */
  ingestUserId: string;
  /** Registered and logged in through the API. */
  buyers: Buyer[];
  productId: string;
  /** Capacities measured earlier in the run, for the soak's rates. */
  capacity: { webhookPerS?: number; checkoutPerS?: number };
  rows: Row[];
  plans: Plan[];
  notes: string[];
  /** A fresh order-id series for each batch of seeded orders. */
  nextSeries(): number;
}

/**
 * Runs loads at the same time and returns their results; the first gets `cpuUsPerOk`, the
 * CPU the `target` process spent per 2xx answer over the run (from /proc).
 */
export async function measure(target: Service, runs: LoadRun[]): Promise<LoadResult[]> {
  process.stderr.write(`bench:   ${runs.map((r) => `${r.name} (${r.connections} conn${r.amount ? `, ${r.amount} requests` : `, ${r.durationS} s`}${r.rate ? `, ${r.rate}/s` : ""})`).join(" + ")}\n`);
  const pid = target.child?.pid;
  const before = pid ? cpuSeconds(pid) : Number.NaN;
  const results = await runLoad(runs);
  const cpu = pid ? cpuSeconds(pid) - before : Number.NaN;
  const first = results[0]!;
  first.cpuUsPerOk = (cpu * 1e6) / Math.max(1, first.ok);
  return results;
}

export const appRss = (service: Service) => rssMb(service.child!.pid!);

export const over = (what: string, value: number, limit: number, unit: string) => `${what} ${Math.round(value)} ${unit} > ${limit} ${unit}`;
export const under = (what: string, value: number, limit: number, unit: string) => `${what} ${Math.round(value)} ${unit} < ${limit} ${unit}`;

/** Sums the samples of `name` in Prometheus text whose labels include `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split("\n")) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total = (total ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

export const metricsText = (service: Service) => fetch(`${service.url}/metrics`).then((r) => r.text());

/**
 * Database clients checked out of the API's pool (`totalCount − idleCount`), from `/metrics`:
 * `db_pool_clients{state="checked_out"}` when the API exposes it, else
 * `db_pool_connections_in_use`.
 */
export async function checkedOutClients(service: Service): Promise<number | undefined> {
  const text = await metricsText(service);
  return metricValue(text, "db_pool_clients", { state: "checked_out" }) ?? metricValue(text, "db_pool_connections_in_use");
}

/** "status codes 200 ×10, 503 ×2" */
export const statusSummary = (r: LoadResult) =>
  `status codes ${Object.entries(r.statusCodes).map(([code, n]) => `${code} ×${n}`).join(", ") || "none"}${r.unanswered ? `, ${r.unanswered} unanswered` : ""}`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `n` cursors at random depths of `buyer`'s order list, as `GET /orders` hands them out
 * (`nextCursor`), collected by paging through the whole list; and the list's length.
 */
export async function cursorsAtRandomDepths(app: Service, buyer: Buyer, n: number): Promise<{ cursors: string[]; listLength: number }> {
  const all: string[] = [];
  let listLength = 0;
  let cursor: string | null = null;
  do {
    const res = await fetch(`${app.url}/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { headers: { authorization: `Bearer ${buyer.token}` } });
    if (!res.ok) throw new Error(`GET /orders: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { data: unknown[]; nextCursor: string | null };
    listLength += page.data.length;
    cursor = page.nextCursor;
    if (cursor) all.push(cursor);
  } while (cursor);
  return { cursors: Array.from({ length: n }, () => all[Math.floor(Math.random() * all.length)] ?? ""), listLength };
}

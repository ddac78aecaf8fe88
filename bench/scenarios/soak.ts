import { appRss, cursorsAtRandomDepths, measure, over, sleep, statusSummary, type Bench } from "../lib/bench-context.js";
import { backlogSequence } from "../lib/events.js";
import type { LoadResult, LoadRun } from "../lib/load-spec.js";
import { commandLine, nodeOptions } from "../lib/processes.js";
import { seedPendingOrders } from "../lib/seed.js";
import { appliedCounts } from "./backlog.js";

/** Shares of the soak's load at half capacity: Σ rate / capacity = 0.5. */
const WEBHOOK_SHARE = 0.6;
const CHECKOUT_SHARE = 0.4;
const FALLBACK = { webhookPerS: 200, checkoutPerS: 100 };

/** Least-squares slope of `ys` over `xs`. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const cov = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i]! - my), 0);
  const varx = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return varx === 0 ? Number.NaN : cov / varx;
}

/**
 * Mixed load at half the capacities measured earlier in the run (webhooks with 20 %
 * duplicates, checkouts, order lists, health polls) against a fresh API process started
 * with no runtime flags; its RSS is sampled throughout.
 */
export async function soakScenario(bench: Bench): Promise<void> {
  const durationS = Math.round(bench.soakMinutes * 60);
  const capacity = { webhookPerS: bench.capacity.webhookPerS || FALLBACK.webhookPerS, checkoutPerS: bench.capacity.checkoutPerS || FALLBACK.checkoutPerS };
  const webhookRate = Math.max(1, Math.round(0.5 * WEBHOOK_SHARE * capacity.webhookPerS));
  const checkoutRate = Math.max(1, Math.round(0.5 * CHECKOUT_SHARE * capacity.checkoutPerS));
  const distinct = Math.ceil((webhookRate * durationS) / 1.2);
  const deliveries = backlogSequence(distinct, 0.2).length;
  const series = bench.nextSeries();
  await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, distinct);
  const { cursors } = await cursorsAtRandomDepths(bench.app, bench.buyers[0]!, 200);
  const tokens = bench.buyers.map((b) => b.token);

  const api = await bench.startApi("soak", bench.standIn.url);
  try {
    const runs: LoadRun[] = [
      { name: "soak: webhooks", url: api.url, connections: 16, durationS, amount: deliveries, rate: webhookRate, timeoutS: 30, request: { kind: "backlog", series, distinct, duplicateShare: 0.2 } },
      { name: "soak: checkouts", url: api.url, connections: 16, durationS, rate: checkoutRate, request: { kind: "checkout", path: "/payments/checkout-session", tokens, body: JSON.stringify({ items: [{ productId: bench.productId, quantity: 2 }] }) } },
      { name: "soak: order lists", url: api.url, connections: 4, durationS, rate: 10, request: { kind: "orders", tokens, cursors, limit: 20 } },
      { name: "soak: /health", url: api.url, connections: 2, durationS, rate: 5, request: { kind: "static", method: "GET", path: "/health" } },
    ];
    const samples: { minute: number; mb: number }[] = [];
    const started = Date.now();
    let done = false;
    const every = bench.quick ? 1_000 : 5_000;
    const sampler = (async () => {
      while (!done) {
        samples.push({ minute: (Date.now() - started) / 60_000, mb: appRss(api) });
        await sleep(every);
      }
    })();
    const results = await measure(api, runs).finally(() => (done = true));
    await sampler;
    samples.push({ minute: (Date.now() - started) / 60_000, mb: appRss(api) });
    const flags = [...commandLine(api.child!.pid!).filter((arg) => arg.startsWith("-")), ...(nodeOptions(api.child!.pid!) ? [`NODE_OPTIONS=${nodeOptions(api.child!.pid!)}`] : [])];
    const applied = await appliedCounts(bench, series, distinct);
    report(bench, { results, samples, flags, applied, distinct, webhookRate, checkoutRate, capacity });
  } finally {
    await api.stop();
  }
}

function report(
  bench: Bench,
  s: {
    results: LoadResult[];
    samples: { minute: number; mb: number }[];
    flags: string[];
    applied: { ledgerRows: number; paid: number };
    distinct: number;
    webhookRate: number;
    checkoutRate: number;
    capacity: { webhookPerS: number; checkoutPerS: number };
  },
): void {
  const end = s.samples.at(-1)!.mb;
  const minutes = s.samples.at(-1)!.minute;
  const half = minutes / 2;
  const second = s.samples.filter((p) => p.minute >= half);
  // RSS follows V8's collection cycle (a saw tooth of ±30 MB over 1-3 minutes), so a line
  // fitted inside five minutes swings by several MB/minute with the phase at its ends. The
  // growth judged is that of the level: the mean of the second half against the mean of the
  // first (after its first tenth, the start-up), over the time between their middles.
  const startUp = minutes / 10;
  const first = s.samples.filter((p) => p.minute >= startUp && p.minute < half);
  const mean = (ps: { mb: number }[]) => ps.reduce((n, p) => n + p.mb, 0) / ps.length;
  const growth = (mean(second) - mean(first)) / ((minutes + half) / 2 - (startUp + half) / 2);
  const fitted = slope(
    second.map((p) => p.minute),
    second.map((p) => p.mb),
  );
  const wrong = s.results.filter((r) => r.errors > 0).map((r) => `${r.name}: ${statusSummary(r)}`);
  if (s.flags.length) wrong.push(`the API ran with runtime flags: ${s.flags.join(" ")}`);
  if (s.applied.ledgerRows !== s.distinct || s.applied.paid !== s.distinct) wrong.push(`${s.applied.ledgerRows} ledger rows and ${s.applied.paid} paid orders for ${s.distinct} webhook events`);
  const missed: string[] = [];
  if (end > 320) missed.push(over("RSS at the end", end, 320, "MB"));
  if (!(growth <= 2)) missed.push(`RSS grew ${growth.toFixed(2)} MB/minute from the first half to the second > 2 MB/minute`);
  bench.rows.push({
    scenario: `soak (${minutes.toFixed(1)} min, mixed, half capacity)`,
    value: end,
    unit: "MB RSS",
    errors: s.results.reduce((n, r) => n + r.errors, 0),
    target: "≤ 320 MB, ≤ 2 MB/min, no flags",
    pass: missed.length === 0 && wrong.length === 0,
    notes: [
      ...missed,
      `RSS growth from the first half to the second ${growth.toFixed(2)} MB/minute (means ${Math.round(mean(first))} → ${Math.round(mean(second))} MB; a line fitted to the second half alone: ${fitted.toFixed(2)} MB/minute); samples ${s.samples.filter((_, i) => i % Math.max(1, Math.floor(s.samples.length / 10)) === 0).map((p) => Math.round(p.mb)).join(", ")} MB`,
      `load: webhooks ${s.webhookRate}/s (capacity ${Math.round(s.capacity.webhookPerS)}/s), checkouts ${s.checkoutRate}/s (capacity ${Math.round(s.capacity.checkoutPerS)}/s), order lists 10/s, /health 5/s; ${s.results.map((r) => `${r.name.replace("soak: ", "")} p99 ${Math.round(r.p99)} ms`).join(", ")}`,
    ],
    ...(wrong.length ? { broken: wrong.join("; ") } : {}),
  });
}

import { measure, statusSummary, type Bench } from "../lib/bench-context.js";
import { BENCH_WEBHOOK_SECRET } from "../lib/events.js";
import type { LoadResult } from "../lib/load-spec.js";
import { startBaseline, type Service } from "../lib/processes.js";
import { seedPendingOrders } from "../lib/seed.js";

const CONNECTIONS = 32;
/** Orders seeded per second of load: more than either server pays, so every event is fresh. */
const SEED_PER_SECOND = 1_500;

interface Side {
  name: string;
  target: Service;
  parts: LoadResult[];
}

/** Fresh events for `seconds`, or exactly `amount` of them. */
async function fresh(bench: Bench, side: Side, label: string, load: { seconds: number } | { amount: number }): Promise<LoadResult> {
  const series = bench.nextSeries();
  const count = "amount" in load ? load.amount : Math.ceil(SEED_PER_SECOND * load.seconds);
  await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, count);
  const [result] = await measure(side.target, [
    {
      name: `${side.name} ${label}`,
      url: side.target.url,
      connections: CONNECTIONS,
      durationS: "seconds" in load ? load.seconds : 0,
      ...("amount" in load ? { amount: load.amount, timeoutS: 30 } : {}),
      request: { kind: "webhook", series, start: 0, count },
    },
  ]);
  return result!;
}

interface Summary {
  label: string;
  ok: number;
  cpuUs: number;
  throughput: number;
  errors: number;
  exhausted: boolean;
  last: LoadResult;
}

function summarise(side: Side): Summary {
  const sum = (f: (r: LoadResult) => number) => side.parts.reduce((n, r) => n + f(r), 0);
  const ok = sum((r) => r.ok);
  return {
    label: side.name,
    ok,
    cpuUs: sum((r) => (r.cpuUsPerOk ?? Number.NaN) * r.ok) / Math.max(1, ok),
    throughput: ok / sum((r) => r.durationS),
    errors: sum((r) => r.errors),
    exhausted: side.parts.some((r) => r.exhausted),
    last: side.parts.at(-1)!,
  };
}

/**
 * The cost of our code: CPU of the server process per webhook event, the API against
 * bench/baselines/minimal-webhook.ts (the same transaction with nothing else), the same
 * fresh-event load for both. Measured in alternating parts (A B, B A, …) and added up, so
 * both meet the same phases of the shared host.
 */
export async function costScenario(bench: Bench): Promise<void> {
  const baseline = await startBaseline("minimal-webhook.ts", { DATABASE_URL: bench.db.url, WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET });
  try {
    const sides: Side[] = [
      { name: "minimal Express + Prisma", target: baseline, parts: [] },
      { name: "API", target: bench.app, parts: [] },
    ];
    const parts = bench.quick ? 1 : 4;
    const partS = bench.quick ? 2 : 5;
    // A count of events rather than a time: a cold process on a busy machine needs the same work to warm up.
    for (const side of sides) await fresh(bench, side, "(warm-up)", { amount: bench.quick ? 300 : 2_000 });
    for (let part = 0; part < parts; part += 1) {
      for (const side of part % 2 === 0 ? sides : [...sides].reverse()) side.parts.push(await fresh(bench, side, `(part ${part + 1} of ${parts})`, { seconds: partS }));
    }
    const [minimal, api] = sides.map(summarise) as [Summary, Summary];
    const ratio = api.cpuUs / minimal.cpuUs;
    const wrong = [api, minimal].filter((s) => s.errors > 0 || s.exhausted || s.ok === 0).map((s) => `${s.label}: ${s.exhausted ? "ran out of seeded orders" : statusSummary(s.last)}`);
    bench.rows.push({
      scenario: `cost of our code (webhook, ${CONNECTIONS} conn, ${parts} alternating parts)`,
      value: api.cpuUs,
      unit: "µs CPU/event",
      errors: api.errors,
      baseline: { label: "minimal Express 5 + Prisma 7", value: minimal.cpuUs, unit: "µs" },
      ratio,
      target: "≤ 1.5 × the minimal handler",
      pass: ratio <= 1.5 && wrong.length === 0,
      notes: [
        ...(ratio <= 1.5 ? [] : [`${ratio.toFixed(2)} × the minimal handler's CPU per event > 1.5 ×`]),
        `throughput: API ${Math.round(api.throughput)} events/s (last part p99 ${Math.round(api.last.p99)} ms), minimal handler ${Math.round(minimal.throughput)} events/s (p99 ${Math.round(minimal.last.p99)} ms)`,
      ],
      ...(wrong.length ? { broken: wrong.join("; ") } : {}),
    });
  } finally {
    await baseline.stop();
  }
}

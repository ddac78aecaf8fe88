import { counter, cpuNote, measure, over, under, type Bench } from "../lib/bench-context.js";
import { eventIdFor, orderIdFor } from "../lib/events.js";
import type { LoadResult } from "../lib/load-spec.js";
import type { Service } from "../lib/processes.js";
import { seedPendingOrders } from "../lib/seed.js";

const INGEST_CONNECTIONS = 32;
const STORM_CONNECTIONS = 64;
/** Orders seeded per second of load: more than any run here can pay, so every event is fresh. */
const SEED_PER_SECOND = 6_000;

export interface IngestResult extends LoadResult {
  /** Orders of the measured batch that are `paid` afterwards: the 2xx count, plus those in flight at the end. */
  paid: number;
}

/** Distinct, validly signed `checkout.session.completed` events, each paying its own pending order. */
export async function ingest(bench: Bench, target: Service, name: string): Promise<IngestResult> {
  const [result] = await ingestInTurns(bench, [{ target, name }], 1);
  return result!;
}

/**
 * `ingest` for several targets measured in turns: each target's measurement is cut into
 * `slices` parts, run alternately (A B, B A, …), and added up. The host's speed drifts by
 * 10-25 % within a minute (bench/README.md, "Margins"); measured one after the other, a
 * baseline and the API would each take whatever phase they fell in, and the ratio with it.
 * Throughput and CPU per answer are over all slices; p50 is the slices' median and p99 the
 * worst slice's (an upper bound of the whole run's).
 */
async function ingestInTurns(bench: Bench, targets: { target: Service; name: string }[], slices: number): Promise<IngestResult[]> {
  const sliceS = bench.measureS / slices;
  const sliceCount = Math.ceil(SEED_PER_SECOND * sliceS);
  const runs = [];
  for (const t of targets) {
    const warm = { series: bench.nextSeries(), count: Math.ceil(SEED_PER_SECOND * bench.warmS) };
    const series = bench.nextSeries();
    await seedPendingOrders(bench.db.pool, bench.ingestUserId, warm.series, warm.count);
    await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, sliceCount * slices);
    runs.push({ ...t, warm, series, parts: [] as LoadResult[] });
  }
  for (const run of runs) await measure(bench, run.target, `${run.name} (warm-up)`, INGEST_CONNECTIONS, { kind: "webhook", series: run.warm.series, start: 0, count: run.warm.count }, { durationS: bench.warmS, quiet: true });
  for (let slice = 0; slice < slices; slice += 1) {
    for (const run of slice % 2 === 0 ? runs : [...runs].reverse()) {
      const label = slices > 1 ? `${run.name}, part ${slice + 1} of ${slices}` : run.name;
      const request = { kind: "webhook", series: run.series, start: slice * sliceCount, count: sliceCount } as const;
      run.parts.push(await measure(bench, run.target, label, INGEST_CONNECTIONS, request, { durationS: sliceS }));
    }
  }
  return Promise.all(
    runs.map(async (run) => {
      const { rows } = await bench.db.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM "Order" WHERE "id" BETWEEN $1::uuid AND $2::uuid AND "status" = 'paid'`,
        [orderIdFor(run.series, 0), orderIdFor(run.series, sliceCount * slices - 1)],
      );
      return { ...combined(run.name, run.parts), paid: Number(rows[0]!.n) };
    }),
  );
}

/** Load results of one target's parts as one. */
function combined(name: string, parts: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => parts.reduce((total, r) => total + f(r), 0);
  const ok = sum((r) => r.ok);
  const durationS = sum((r) => r.durationS);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const statusCodes: Record<string, number> = {};
  for (const part of parts) for (const [code, n] of Object.entries(part.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    name,
    throughput: ok / durationS,
    p50: median(parts.map((r) => r.p50)),
    p99: Math.max(...parts.map((r) => r.p99)),
    errors: sum((r) => r.errors),
    ok,
    durationS,
    statusCodes,
    cpuUsPerOk: sum((r) => (r.cpuUsPerOk ?? Number.NaN) * r.ok) / Math.max(1, ok),
    dbCpuUsPerOk: sum((r) => (r.dbCpuUsPerOk ?? Number.NaN) * r.ok) / Math.max(1, ok),
    exhausted: parts.some((r) => r.exhausted),
  };
}

export async function webhookIngestScenario(bench: Bench): Promise<void> {
  // In turns, so that both meet the same phases of the host (4 parts each; 1 with --quick).
  const [baseline, app] = (await ingestInTurns(
    bench,
    [
      { target: bench.webhookBaseline, name: "webhook ingest: bare node:http + pg" },
      { target: bench.app, name: "webhook ingest: API" },
    ],
    bench.quick ? 1 : 4,
  )) as [IngestResult, IngestResult];
  const ratio = app.throughput / baseline.throughput;
  const notes: string[] = [];
  if (app.throughput < 1500) notes.push(under("throughput", app.throughput, 1500, "events/s"));
  if (app.p99 > 50) notes.push(over("p99", app.p99, 50, "ms"));
  if (ratio < 0.6) notes.push(`${Math.round(ratio * 100)} % of the baseline < 60 %`);
  // Requests still in flight when the load generator stops (at the end of each part) are applied but not counted.
  const correct = app.paid >= app.ok && app.paid <= app.ok + INGEST_CONNECTIONS * (bench.quick ? 1 : 4) && !app.exhausted;
  if (!correct) notes.push(`${app.ok} events answered 2xx but ${app.paid} orders paid${app.exhausted ? " (ran out of seeded orders)" : ""}`);
  bench.rows.push({
    scenario: `webhook ingest (${INGEST_CONNECTIONS} conn)`,
    value: app.throughput,
    unit: "events/s",
    p50: app.p50,
    p99: app.p99,
    errors: app.errors,
    baseline: { label: "bare node:http + pg", value: baseline.throughput, unit: "/s" },
    ratio,
    target: "≥ 1,500/s, p99 ≤ 50 ms, ≥ 60 %",
    pass: notes.length === 0,
    notes: [...notes, `baseline p99 ${baseline.p99} ms, ${baseline.errors} errors`, cpuNote(app, baseline)],
    ...(correct ? {} : { broken: "2xx answers and paid orders differ" }),
  });
}

/** One event redelivered from 64 connections at once; afterwards exactly one ledger row and one transition. */
export async function duplicateStormScenario(bench: Bench): Promise<void> {
  const storm = async (target: Service, name: string) => {
    const series = bench.nextSeries();
    await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, 1);
    const request = { kind: "webhook-duplicate", series, index: 0 } as const;
    const result = await measure(bench, target, name, STORM_CONNECTIONS, request, { warm: request });
    const ledger = await bench.db.pool.query(`SELECT 1 FROM "PaymentEvent" WHERE "stripeEventId" = $1`, [eventIdFor(series, 0)]);
    const order = await bench.db.pool.query<{ status: string }>(`SELECT "status" FROM "Order" WHERE "id" = $1::uuid`, [orderIdFor(series, 0)]);
    return { result, ledgerRows: ledger.rowCount ?? 0, status: order.rows[0]?.status };
  };
  const baseline = await storm(bench.webhookBaseline, "duplicate storm: bare node:http + pg");
  const transitionsBefore = await counter(bench, "order_transitions_total", { from: "pending", to: "paid" });
  const app = await storm(bench.app, "duplicate storm: API");
  const transitions = (await counter(bench, "order_transitions_total", { from: "pending", to: "paid" })) - transitionsBefore;

  const notes: string[] = [];
  if (app.result.throughput < 1500) notes.push(under("throughput", app.result.throughput, 1500, "answers/s"));
  if (app.ledgerRows !== 1) notes.push(`${app.ledgerRows} PaymentEvent rows for the event, expected 1`);
  if (transitions !== 1 || app.status !== "paid") notes.push(`${transitions} pending→paid transitions (order now ${app.status}), expected 1`);
  const correct = app.ledgerRows === 1 && transitions === 1 && app.status === "paid";
  bench.rows.push({
    scenario: `duplicate storm (${STORM_CONNECTIONS} conn)`,
    value: app.result.throughput,
    unit: "answers/s",
    p50: app.result.p50,
    p99: app.result.p99,
    errors: app.result.errors,
    baseline: { label: "bare node:http + pg", value: baseline.result.throughput, unit: "/s" },
    ratio: app.result.throughput / baseline.result.throughput,
    target: "≥ 1,500/s; 1 row, 1 transition",
    pass: notes.length === 0,
    notes: [...notes, `checked: ${app.ledgerRows} ledger row, ${transitions} transition, order ${app.status}`, cpuNote(app.result, baseline.result)],
    ...(correct ? {} : { broken: "the redelivered event was applied more than once (or not at all)" }),
  });
}

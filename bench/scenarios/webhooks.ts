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
  const warmSeries = bench.nextSeries();
  const series = bench.nextSeries();
  const warmCount = Math.ceil(SEED_PER_SECOND * bench.warmS);
  const count = Math.ceil(SEED_PER_SECOND * bench.measureS);
  await seedPendingOrders(bench.db.pool, bench.ingestUserId, warmSeries, warmCount);
  await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, count);
  const result = await measure(
    bench,
    target,
    name,
    INGEST_CONNECTIONS,
    { kind: "webhook", series, start: 0, count },
    { warm: { kind: "webhook", series: warmSeries, start: 0, count: warmCount } },
  );
  const { rows } = await bench.db.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM "Order" WHERE "id" BETWEEN $1::uuid AND $2::uuid AND "status" = 'paid'`,
    [orderIdFor(series, 0), orderIdFor(series, count - 1)],
  );
  return { ...result, paid: Number(rows[0]!.n) };
}

export async function webhookIngestScenario(bench: Bench): Promise<void> {
  const baseline = await ingest(bench, bench.webhookBaseline, "webhook ingest: bare node:http + pg");
  const app = await ingest(bench, bench.app, "webhook ingest: API");
  const ratio = app.throughput / baseline.throughput;
  const notes: string[] = [];
  if (app.throughput < 1500) notes.push(under("throughput", app.throughput, 1500, "events/s"));
  if (app.p99 > 50) notes.push(over("p99", app.p99, 50, "ms"));
  if (ratio < 0.6) notes.push(`${Math.round(ratio * 100)} % of the baseline < 60 %`);
  // Requests still in flight when the load generator stops are applied but not counted.
  const correct = app.paid >= app.ok && app.paid <= app.ok + INGEST_CONNECTIONS && !app.exhausted;
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

import { measure, metricsText, metricValue, over, statusSummary, under, type Bench } from "../lib/bench-context.js";
import { backlogSequence, orderIdFor } from "../lib/events.js";
import { seedPendingOrders } from "../lib/seed.js";

const CONNECTIONS = 32;
const DUPLICATE_SHARE = 0.2;

/** Ledger rows and paid orders of `series` positions 0…count-1, from the database. */
export async function appliedCounts(bench: Bench, series: number, count: number) {
  const range = [orderIdFor(series, 0), orderIdFor(series, count - 1)];
  const ledger = await bench.db.pool.query<{ rows: string; processed: string }>(
    `SELECT count(*) AS rows, count(*) FILTER (WHERE "outcome" = 'processed') AS processed
     FROM "PaymentEvent" WHERE "orderId" BETWEEN $1::uuid AND $2::uuid`,
    range,
  );
  const orders = await bench.db.pool.query<{ paid: string }>(
    `SELECT count(*) FILTER (WHERE "status" = 'paid' AND "paidAt" IS NOT NULL) AS paid FROM "Order" WHERE "id" BETWEEN $1::uuid AND $2::uuid`,
    range,
  );
  return { ledgerRows: Number(ledger.rows[0]!.rows), processed: Number(ledger.rows[0]!.processed), paid: Number(orders.rows[0]!.paid) };
}

const transitionsToPaid = async (bench: Bench) => metricValue(await metricsText(bench.app), "order_transitions_total", { from: "pending", to: "paid" });

/**
 * Stripe redelivering after an outage: 10,000 distinct signed events plus 20 % duplicates
 * (some while the first delivery is in flight), 32 connections, each delivery sent once.
 * Afterwards every event must have exactly one ledger row and moved its order once.
 */
export async function backlogScenario(bench: Bench): Promise<void> {
  const distinct = bench.quick ? 1_000 : 10_000;
  const warmSeries = bench.nextSeries();
  const warmCount = bench.quick ? 200 : 1_000;
  await seedPendingOrders(bench.db.pool, bench.ingestUserId, warmSeries, warmCount);
  const warm = { kind: "webhook", series: warmSeries, start: 0, count: warmCount } as const;
  await measure(bench.app, [{ name: "backlog warm-up", url: bench.app.url, connections: CONNECTIONS, durationS: 0, amount: warmCount, request: warm }]);

  const series = bench.nextSeries();
  await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, distinct);
  const deliveries = backlogSequence(distinct, DUPLICATE_SHARE).length;
  const transitionsBefore = await transitionsToPaid(bench);
  const [result] = await measure(bench.app, [
    {
      name: "webhook backlog",
      url: bench.app.url,
      connections: CONNECTIONS,
      durationS: 0,
      amount: deliveries,
      timeoutS: 30,
      request: { kind: "backlog", series, distinct, duplicateShare: DUPLICATE_SHARE },
    },
  ]);
  const r = result!;
  const applied = await appliedCounts(bench, series, distinct);
  const transitionsAfter = await transitionsToPaid(bench);
  const transitions = transitionsAfter === undefined || transitionsBefore === undefined ? undefined : transitionsAfter - transitionsBefore;
  const throughput = deliveries / r.durationS;
  bench.capacity.webhookPerS = throughput;

  const wrong: string[] = [];
  if (r.ok !== deliveries || r.errors > 0) wrong.push(`${r.ok} of ${deliveries} deliveries answered 2xx (${statusSummary(r)})`);
  if (applied.ledgerRows !== distinct || applied.processed !== distinct) wrong.push(`${applied.ledgerRows} ledger rows (${applied.processed} processed) for ${distinct} events`);
  if (applied.paid !== distinct) wrong.push(`${applied.paid} of ${distinct} orders paid`);
  if (transitions !== undefined && transitions !== distinct) wrong.push(`${transitions} pending→paid transitions counted by the API for ${distinct} events`);
  const missed: string[] = [];
  if (throughput < 200) missed.push(under("throughput", throughput, 200, "deliveries/s"));
  if (r.p99 > 500) missed.push(over("p99", r.p99, 500, "ms"));
  bench.rows.push({
    scenario: `webhook backlog (${distinct.toLocaleString("en-US")} + ${Math.round(DUPLICATE_SHARE * 100)} % duplicates, ${CONNECTIONS} conn)`,
    value: throughput,
    unit: "deliveries/s",
    p50: r.p50,
    p99: r.p99,
    errors: r.errors,
    target: "each event once, 0 errors, ≥ 200/s, p99 ≤ 500 ms",
    pass: wrong.length === 0 && missed.length === 0,
    notes: [
      ...missed,
      `checked in the database: ${applied.ledgerRows} ledger rows, ${applied.paid} orders paid for ${distinct} distinct events in ${deliveries} deliveries` +
        (transitions === undefined ? " (order_transitions_total not exposed)" : `; the API counted ${transitions} pending→paid transitions`),
      `API CPU ${Math.round(r.cpuUsPerOk ?? Number.NaN)} µs per delivery`,
    ],
    ...(wrong.length ? { broken: wrong.join("; ") } : {}),
  });
}

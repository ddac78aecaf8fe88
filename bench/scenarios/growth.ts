import { cursorsAtRandomDepths, measure, type Bench } from "../lib/bench-context.js";
import type { LoadResult, LoadRun } from "../lib/load-spec.js";
import { captureHotPathPlans } from "../lib/plans.js";
import type { Row } from "../lib/report.js";
import { GROWTH_EVENTS, GROWTH_ORDERS, rowCount, seedGrowth, seedPendingOrders } from "../lib/seed.js";

const INGEST_CONNECTIONS = 32;
const ORDERS_CONNECTIONS = 16;
const SEED_PER_SECOND = 1_500;

async function ingest(bench: Bench, name: string): Promise<LoadResult> {
  let result: LoadResult | undefined;
  const [warmS, measuredS] = bench.quick ? [1, 2] : [3, 10];
  for (const seconds of [warmS, measuredS]) {
    const series = bench.nextSeries();
    const count = SEED_PER_SECOND * seconds;
    await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, count);
    [result] = await measure(bench.app, [{ name: seconds === measuredS ? name : `${name} (warm-up)`, url: bench.app.url, connections: INGEST_CONNECTIONS, durationS: seconds, request: { kind: "webhook", series, start: 0, count } }]);
  }
  return result!;
}

async function ordersPages(bench: Bench, name: string): Promise<LoadResult & { listLength: number }> {
  const buyer = bench.buyers[0]!;
  const { cursors, listLength } = await cursorsAtRandomDepths(bench.app, buyer, 200);
  const run = (durationS: number, label: string): LoadRun => ({ name: label, url: bench.app.url, connections: ORDERS_CONNECTIONS, durationS, request: { kind: "orders", tokens: [buyer.token], cursors, limit: 20 } });
  await measure(bench.app, [run(bench.quick ? 1 : 3, `${name} (warm-up)`)]);
  const [result] = await measure(bench.app, [run(bench.quick ? 2 : 10, name)]);
  return { ...result!, listLength };
}

function growthRow(scenario: string, unit: string, grown: LoadResult, small: LoadResult, extra: string[]): Row {
  const ratio = grown.throughput / small.throughput;
  return {
    scenario,
    value: grown.throughput,
    unit,
    p50: grown.p50,
    p99: grown.p99,
    errors: grown.errors,
    baseline: { label: "small tables", value: small.throughput, unit: "/s" },
    ratio,
    target: "≥ 80 % of small",
    pass: ratio >= 0.8 && grown.errors === 0,
    notes: [...(ratio >= 0.8 ? [] : [`${Math.round(ratio * 100)} % of the small-table figure < 80 %`]), `small tables p99 ${Math.round(small.p99)} ms`, ...extra],
    ...(grown.errors > 0 || grown.exhausted ? { broken: `${grown.errors} errors${grown.exhausted ? ", ran out of seeded orders" : ""}` } : {}),
  };
}

/**
 * Webhook ingest and GET /orders measured on the tables as the run left them, then again
 * after 1,000,000 ledger rows and 100,000 orders were added in one generate_series
 * statement, with the plans of both hot paths on the grown tables.
 */
export async function growthScenario(bench: Bench): Promise<void> {
  const ingestSmall = await ingest(bench, "webhook ingest: small tables");
  const ordersSmall = await ordersPages(bench, "orders: small tables");

  // `--quick --only=growth` checks the scenario's machinery on 1 % of the rows.
  const sizes = bench.quick ? { events: GROWTH_EVENTS / 100, orders: GROWTH_ORDERS / 100 } : { events: GROWTH_EVENTS, orders: GROWTH_ORDERS };
  const seconds = await seedGrowth(bench.db.pool, bench.buyers[0]!.id, bench.nextSeries(), sizes);
  // The state a grown production database is in: statistics fresh, visibility map set, dirty pages written.
  await bench.db.pool.query(`VACUUM ANALYZE "Order", "OrderItem", "PaymentEvent"`);
  await bench.db.pool.query("CHECKPOINT");
  const events = await rowCount(bench.db.pool, "PaymentEvent");
  const orders = await rowCount(bench.db.pool, "Order");
  bench.notes.push(
    `growth: seeded ${sizes.events.toLocaleString("en-US")} PaymentEvents and ${sizes.orders.toLocaleString("en-US")} orders in ${seconds.toFixed(1)} s (one statement); tables now hold ${events.toLocaleString("en-US")} PaymentEvents, ${orders.toLocaleString("en-US")} orders`,
  );
  const { cursors } = await cursorsAtRandomDepths(bench.app, bench.buyers[0]!, 1);
  bench.plans.push(...(await captureHotPathPlans(bench, cursors[0]!)));

  const ingestGrown = await ingest(bench, "webhook ingest: grown tables");
  const ordersGrown = await ordersPages(bench, "orders: grown tables");
  bench.rows.push(growthRow("growth: webhook ingest", "events/s", ingestGrown, ingestSmall, []));
  bench.rows.push(growthRow("growth: GET /orders (cursor)", "req/s", ordersGrown, ordersSmall, [`list of ${ordersSmall.listLength} → ${ordersGrown.listLength} orders, cursors at random depths`]));
}

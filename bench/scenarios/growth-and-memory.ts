import { appRss, cpuNote, measure, type Bench } from "../lib/bench-context.js";
import { completedEventFor, signatureFor } from "../lib/events.js";
import type { LoadRequest, LoadResult } from "../lib/load-spec.js";
import { runLoad } from "../lib/processes.js";
import { captureHotPathPlans } from "../lib/plans.js";
import { cursorsAtRandomDepths, GROWTH_EVENTS, GROWTH_ORDERS, rowCount, seedGrowth, seedPendingOrders } from "../lib/seed.js";
import type { Row } from "../lib/report.js";
import { ingest } from "./webhooks.js";

const ORDERS_CONNECTIONS = 16;
const CURSORS = 200;

async function ordersPages(bench: Bench, name: string): Promise<LoadResult & { listLength: number }> {
  const { cursors, listLength } = await cursorsAtRandomDepths(bench.db.pool, bench.buyer.id, CURSORS);
  const request: LoadRequest = { kind: "orders", tokens: [bench.buyer.token], cursors, limit: 20 };
  return { ...(await measure(bench, bench.app, name, ORDERS_CONNECTIONS, request, { warm: request })), listLength };
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
    notes: [...(ratio >= 0.8 ? [] : [`${Math.round(ratio * 100)} % of the small-table figure < 80 %`]), `small p99 ${small.p99} ms`, cpuNote(grown, small, "small tables"), ...extra],
  };
}

/**
 * Ingest and GET /orders again after 1,000,000 ledger rows and 100,000 orders were added
 * (one generate_series statement), with the plans of both hot paths on the grown tables.
 */
export async function growthScenario(bench: Bench): Promise<void> {
  // Both small-table figures are measured right before the seeding, so the comparison is
  // about the tables and not about what earlier scenarios left in the process.
  const ingestSmall = await ingest(bench, bench.app, "webhook ingest: small tables");
  const ordersSmall = await ordersPages(bench, "orders: small tables");

  const series = bench.nextSeries();
  const seconds = await seedGrowth(bench.db.pool, bench.buyer.id, series);
  // The state a grown production database is in: statistics fresh, visibility map set, dirty pages written.
  await bench.db.pool.query(`VACUUM ANALYZE "Order", "OrderItem", "PaymentEvent"`);
  await bench.db.pool.query("CHECKPOINT");
  const events = await rowCount(bench.db.pool, "PaymentEvent");
  const orders = await rowCount(bench.db.pool, "Order");
  bench.notes.push(
    `growth: seeded ${GROWTH_EVENTS.toLocaleString("en-US")} PaymentEvents and ${GROWTH_ORDERS.toLocaleString("en-US")} orders in ${seconds.toFixed(1)} s (one statement); tables now hold ${events.toLocaleString("en-US")} PaymentEvents, ${orders.toLocaleString("en-US")} orders`,
  );

  const planSeries = bench.nextSeries();
  await seedPendingOrders(bench.db.pool, bench.ingestUserId, planSeries, 1);
  const { cursors } = await cursorsAtRandomDepths(bench.db.pool, bench.buyer.id, 1);
  bench.plans.push(...(await captureHotPathPlans(bench.db.url, { ingestSeries: planSeries, ingestIndex: 0, listUserId: bench.buyer.id, deepCursor: cursors[0]! })));

  const ingestGrown = await ingest(bench, bench.app, "webhook ingest: grown tables");
  const ordersGrown = await ordersPages(bench, "orders: grown tables");
  bench.rows.push(growthRow("growth: webhook ingest", "events/s", ingestGrown, ingestSmall, []));
  bench.rows.push(
    growthRow("growth: GET /orders (cursor)", "req/s", ordersGrown, ordersSmall, [
      `list of ${ordersSmall.listLength} → ${ordersGrown.listLength} orders, cursors at random depths`,
    ]),
  );
}

/** Repeated rounds of mixed load; the API's RSS after each. */
export async function memoryScenario(bench: Bench): Promise<void> {
  const rounds = bench.quick ? 2 : 6;
  const roundS = bench.quick ? 2 : 4;
  const samples: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const series = bench.nextSeries();
    const count = 6_000 * roundS;
    await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, count);
    const { cursors } = await cursorsAtRandomDepths(bench.db.pool, bench.buyer.id, CURSORS);
    const url = bench.app.url;
    await runLoad([
      { name: "memory: ingest", url, connections: 16, durationS: roundS, request: { kind: "webhook", series, start: 0, count } },
      { name: "memory: duplicates", url, connections: 4, durationS: roundS, request: { kind: "webhook-duplicate", series, index: 0 } },
      {
        name: "memory: checkout",
        url,
        connections: 4,
        durationS: roundS,
        request: { kind: "checkout", path: "/payments/checkout-session", token: bench.buyer.token, body: JSON.stringify({ items: [{ productId: bench.productId, quantity: 2 }] }) },
      },
      { name: "memory: orders", url, connections: 4, durationS: roundS, request: { kind: "orders", tokens: [bench.buyer.token], cursors, limit: 20 } },
      { name: "memory: bad signatures", url, connections: 2, durationS: roundS, request: badSignature() },
    ]);
    samples.push(appRss(bench));
  }

  // A leak grows with the work done, round after round; V8's heap breathes by tens of MB
  // from one round to the next. So the trend compares the medians of the two halves.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const firstHalf = median(samples.slice(0, Math.ceil(rounds / 2)));
  const secondHalf = median(samples.slice(Math.ceil(rounds / 2)));
  const last = samples.at(-1)!;
  const growth = (secondHalf - firstHalf) / firstHalf;
  const notes: string[] = [`RSS after each round: ${samples.map((s) => `${Math.round(s)} MB`).join(", ")}`];
  if (last > 200) notes.push(`RSS ${Math.round(last)} MB > 200 MB`);
  if (growth > 0.05) notes.push(`median RSS of the second half of the rounds ${Math.round(growth * 100)} % above the first half's (> 5 %)`);
  bench.rows.push({
    scenario: `memory (${rounds} mixed rounds)`,
    value: last,
    unit: "MB RSS",
    baseline: { label: "median, first half", value: firstHalf, unit: "MB" },
    ratio: secondHalf / firstHalf,
    target: "≤ 200 MB, no growth",
    pass: last <= 200 && growth <= 0.05,
    notes,
  });
}

/** A webhook whose signature does not verify: answered 400 without a write (it counts as an error). */
function badSignature(): LoadRequest {
  const payload = completedEventFor(0xffff, 0);
  return {
    kind: "static",
    method: "POST",
    path: "/webhooks/stripe",
    headers: { "content-type": "application/json", "stripe-signature": signatureFor(payload, "whsec_wrongSecret") },
    body: payload,
  };
}

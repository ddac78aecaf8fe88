import { measure, over, sleep, statusSummary, type Bench } from "../lib/bench-context.js";
import type { LoadResult } from "../lib/load-spec.js";
import type { Row } from "../lib/report.js";
import { seedPendingOrders } from "../lib/seed.js";
import { closedLoop } from "../lib/clients.js";
import { appliedCounts } from "./backlog.js";

const LOGIN_CLIENTS = 32;
const HEALTH_CONNECTIONS = 8;
/** Eight pollers each asking every 40 ms: far more than any orchestrator, never a flood. */
const HEALTH_PER_S = 200;
const WEBHOOKS_PER_S = 100;
const WEBHOOK_CONNECTIONS = 8;
const WARM_UP_S = 3;
/** Time given to the load generator processes to start before their loads begin. */
const LOAD_START_UP_MS = 2000;

const fmt = (ms: number | undefined) => (ms === undefined ? "—" : `${Math.round(ms)} ms`);

/**
 * A login storm: 32 clients logging in as fast as answers come (bcrypt at the API's cost; a
 * client that gets 503 tries again after the Retry-After it was given; the last request of
 * each is waited for), while /health is polled on 8 connections at 200/s in all and webhooks
 * arrive at a fixed 100 events/s.
 * The password queue must shed what it cannot take (503 at once) and keep the rest of the
 * service responsive.
 */
export async function loginStormScenario(bench: Bench): Promise<void> {
  const durationS = bench.quick ? 4 : 20;
  const buyer = bench.buyers[0]!;
  const url = bench.app.url;
  // Webhooks flow for WARM_UP_S before the storm, in the same load generator, as in a running
  // shop: not a cold process's first second, and no load generator starting up during it.
  const series = bench.nextSeries();
  const events = Math.ceil(WEBHOOKS_PER_S * (WARM_UP_S + durationS) * 1.2);
  await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, events);
  const stormAt = Date.now() + LOAD_START_UP_MS + WARM_UP_S * 1000;
  const login = { method: "POST", path: "/auth/login", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: buyer.email, password: buyer.password }) };
  const [logins, [health, webhooks]] = (await Promise.all([
    sleep(stormAt - Date.now()).then(() => closedLoop("logins", url, LOGIN_CLIENTS, durationS, login)),
    measure(bench.app, [
      { name: "/health during the storm", url, connections: HEALTH_CONNECTIONS, durationS, rate: HEALTH_PER_S, startAt: stormAt, request: { kind: "static", method: "GET", path: "/health" } },
      { name: "webhooks during the storm", url, connections: WEBHOOK_CONNECTIONS, durationS, rate: WEBHOOKS_PER_S, startAt: stormAt - WARM_UP_S * 1000, warmUpS: WARM_UP_S, request: { kind: "webhook", series, start: 0, count: events } },
    ]),
  ])) as [LoadResult, [LoadResult, LoadResult]];
  const applied = await appliedCounts(bench, series, events);

  const shed = logins.byStatus["503"];
  const served = logins.byStatus["200"];
  const loginWrong: string[] = [];
  if (logins.unanswered > 0 || Object.keys(logins.statusCodes).some((code) => code !== "200" && code !== "503")) loginWrong.push(`logins: ${statusSummary(logins)} (every login must get 200 or 503)`);
  const loginMissed: string[] = [];
  if (shed && shed.max > 100) loginMissed.push(over("slowest 503", shed.max, 100, "ms"));
  if (served && served.max > 5000) loginMissed.push(over("slowest queued login", served.max, 5000, "ms"));
  if (!served) loginMissed.push("no login succeeded");
  bench.rows.push({
    scenario: `login storm (${LOGIN_CLIENTS} clients, bcrypt)`,
    value: logins.throughput,
    unit: "logins/s",
    p50: served?.p50,
    p99: served?.p99,
    errors: logins.unanswered,
    target: "all answered; 503 ≤ 100 ms; 200 ≤ 5 s",
    pass: loginWrong.length === 0 && loginMissed.length === 0,
    notes: [...loginMissed, `${statusSummary(logins)}; slowest 200 ${fmt(served?.max)}, slowest 503 ${fmt(shed?.max)} (p99 ${fmt(shed?.p99)})`],
    ...(loginWrong.length ? { broken: loginWrong.join("; ") } : {}),
  });
  bench.rows.push(sideRow(`  /health during the storm (${HEALTH_CONNECTIONS} conn)`, "req/s", health, []));
  // A delivery still in flight when the load stops is applied but not counted as answered.
  const answeredOk = webhooks.ok + (webhooks.warmUpOk ?? 0);
  const inFlight = (n: number) => n >= answeredOk && n <= answeredOk + WEBHOOK_CONNECTIONS;
  const webhookWrong = inFlight(applied.paid) && inFlight(applied.ledgerRows) && !webhooks.exhausted ? [] : [`${answeredOk} webhooks answered 2xx (warm-up included), ${applied.ledgerRows} ledger rows, ${applied.paid} orders paid`];
  bench.rows.push(sideRow(`  webhooks during the storm (${WEBHOOKS_PER_S}/s)`, "events/s", webhooks, webhookWrong));
}

function sideRow(scenario: string, unit: string, r: LoadResult, wrong: string[]): Row {
  const all = [...wrong, ...(r.errors > 0 ? [statusSummary(r)] : [])];
  return {
    scenario,
    value: r.throughput,
    unit,
    p50: r.p50,
    p99: r.p99,
    errors: r.errors,
    target: "p99 ≤ 50 ms, 0 errors",
    pass: r.p99 <= 50 && all.length === 0,
    notes: r.p99 <= 50 ? [] : [over("p99", r.p99, 50, "ms")],
    ...(all.length ? { broken: all.join("; ") } : {}),
  };
}

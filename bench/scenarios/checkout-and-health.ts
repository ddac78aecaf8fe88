import { cpuNote, measure, over, type Bench } from "../lib/bench-context.js";
import type { LoadRequest } from "../lib/load-spec.js";
import { runLoad } from "../lib/processes.js";

const CHECKOUT_CONNECTIONS = 16;
const HEALTH_CONNECTIONS = 32;
const LOGIN_CONNECTIONS = 16;
/** /health traffic while the logins run: a few clients and probes, not a second flood. */
const HEALTH_DURING_STORM_CONNECTIONS = 8;

/** What stripe-node sends for one Checkout Session, form-encoded. */
function sessionForm(): string {
  const orderId = "00000000-0000-4000-8000-000000000000";
  return new URLSearchParams({
    mode: "payment",
    client_reference_id: orderId,
    "metadata[orderId]": orderId,
    "payment_intent_data[metadata][orderId]": orderId,
    "line_items[0][quantity]": "1",
    "line_items[0][price_data][currency]": "eur",
    "line_items[0][price_data][unit_amount]": "1999",
    "line_items[0][price_data][product_data][name]": "Bench widget",
    success_url: "http://localhost:3000/checkout/success?session_id={CHECKOUT_SESSION_ID}",
    cancel_url: `http://localhost:3000/checkout/cancel?order_id=${orderId}`,
    expires_at: String(Math.floor(Date.now() / 1000) + 3600),
  }).toString();
}

/** Authenticated checkouts, a fresh Idempotency-Key each, the stand-in answering at once. */
export async function checkoutScenario(bench: Bench): Promise<void> {
  const direct: LoadRequest = {
    kind: "static",
    method: "POST",
    path: "/v1/checkout/sessions",
    headers: { authorization: "Bearer sk_test_benchDirect", "content-type": "application/x-www-form-urlencoded" },
    body: sessionForm(),
  };
  const standIn = { name: "stand-in", url: bench.standIn.url, stop: async () => undefined };
  const baseline = await measure(bench, standIn, "checkout: stand-in alone", CHECKOUT_CONNECTIONS, direct, { warm: direct });
  const request: LoadRequest = {
    kind: "checkout",
    path: "/payments/checkout-session",
    token: bench.buyer.token,
    body: JSON.stringify({ items: [{ productId: bench.productId, quantity: 1 }] }),
  };
  const app = await measure(bench, bench.app, "checkout: API", CHECKOUT_CONNECTIONS, request, { warm: request });
  const notes: string[] = [];
  if (app.throughput < 400) notes.push(`throughput ${Math.round(app.throughput)} req/s < 400 req/s`);
  if (app.p99 > 100) notes.push(over("p99", app.p99, 100, "ms"));
  if (app.errors > 0) notes.push(`status codes ${JSON.stringify(app.statusCodes)}`);
  bench.rows.push({
    scenario: `checkout creation (${CHECKOUT_CONNECTIONS} conn)`,
    value: app.throughput,
    unit: "req/s",
    p50: app.p50,
    p99: app.p99,
    errors: app.errors,
    baseline: { label: "Stripe stand-in alone", value: baseline.throughput, unit: "/s" },
    ratio: app.throughput / baseline.throughput,
    target: "≥ 400/s, p99 ≤ 100 ms",
    pass: notes.length === 0,
    notes: [...notes, cpuNote(app)],
  });
}

/** `/health` alone against a bare Express route, then under a storm of bcrypt logins. */
export async function healthScenario(bench: Bench): Promise<void> {
  const health: LoadRequest = { kind: "static", method: "GET", path: "/health" };
  const bare = await measure(bench, bench.expressBaseline, "health: bare Express 5", HEALTH_CONNECTIONS, health, { warm: health });
  const alone = await measure(bench, bench.app, "health: API alone", HEALTH_CONNECTIONS, health, { warm: health });
  const ratio = alone.throughput / bare.throughput;
  bench.rows.push({
    scenario: `/health alone (${HEALTH_CONNECTIONS} conn)`,
    value: alone.throughput,
    unit: "req/s",
    p50: alone.p50,
    p99: alone.p99,
    errors: alone.errors,
    baseline: { label: "bare Express 5 route", value: bare.throughput, unit: "/s" },
    ratio,
    target: "≥ 70 %",
    pass: ratio >= 0.7,
    notes: [...(ratio >= 0.7 ? [] : [`${Math.round(ratio * 100)} % of the bare route < 70 %`]), cpuNote(alone, bare, "bare Express")],
  });

  const login: LoadRequest = {
    kind: "static",
    method: "POST",
    path: "/auth/login",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: bench.buyer.email, password: bench.buyer.password }),
  };
  const durationS = Math.max(bench.measureS, 4);
  const [logins, during] = await runLoad([
    { name: "login storm", url: bench.app.url, connections: LOGIN_CONNECTIONS, durationS, request: login },
    { name: "health during the login storm", url: bench.app.url, connections: HEALTH_DURING_STORM_CONNECTIONS, durationS, request: health },
  ]);
  bench.rows.push({
    scenario: `/health under login storm (${HEALTH_DURING_STORM_CONNECTIONS} conn)`,
    value: during!.throughput,
    unit: "req/s",
    p50: during!.p50,
    p99: during!.p99,
    errors: during!.errors,
    baseline: { label: "/health alone", value: alone.throughput, unit: "/s" },
    ratio: during!.throughput / alone.throughput,
    target: "p99 ≤ 25 ms",
    pass: during!.p99 <= 25,
    notes: during!.p99 <= 25 ? [] : [over("p99", during!.p99, 25, "ms")],
  });
  bench.rows.push({
    scenario: `  the login storm (${LOGIN_CONNECTIONS} conn, bcrypt)`,
    value: logins!.throughput,
    unit: "logins/s",
    p50: logins!.p50,
    p99: logins!.p99,
    errors: logins!.errors,
    target: "(load)",
    pass: null,
    notes: logins!.errors > 0 ? [`status codes ${JSON.stringify(logins!.statusCodes)}`] : [],
  });
}

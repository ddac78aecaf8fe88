import type { Bench } from "./bench-context.js";
import { completedEventFor, signatureFor } from "./events.js";
import type { Plan } from "./report.js";
import { seedPendingOrders } from "./seed.js";

const AUTO_EXPLAIN = {
  "auto_explain.log_min_duration": "0",
  "auto_explain.log_analyze": "on",
  "auto_explain.log_buffers": "on",
  "auto_explain.log_nested_statements": "on",
};

/**
 * The plans of the exact SQL the API sends on its two hot paths (one webhook event, one
 * deep `GET /orders` page), on the data as it is now. PostgreSQL's auto_explain logs every
 * statement's plan with ANALYZE: it is switched on for the bench database, a fresh API
 * process (whose connections load it) serves one request of each, and the plans are read
 * from the embedded server's log. With `BENCH_DATABASE_URL` the log is not ours to read.
 */
export async function captureHotPathPlans(bench: Bench, deepCursor: string): Promise<Plan[]> {
  const log = bench.db.serverLog;
  if (!log) {
    bench.notes.push("plans: not captured (they are read from the embedded server's log)");
    return [];
  }
  const database = `"${bench.db.name}"`;
  await bench.db.pool.query("LOAD 'auto_explain'");
  await bench.db.pool.query(`ALTER DATABASE ${database} SET session_preload_libraries = 'auto_explain'`);
  for (const [name, value] of Object.entries(AUTO_EXPLAIN)) await bench.db.pool.query(`ALTER DATABASE ${database} SET ${name} = ${value}`);
  const series = bench.nextSeries();
  await seedPendingOrders(bench.db.pool, bench.ingestUserId, series, 1);
  const api = await bench.startApi("plans", bench.standIn.url);
  const plans: Plan[] = [];
  try {
    const payload = completedEventFor(series, 0);
    const steps: [string, () => Promise<Response>][] = [
      ["webhook: checkout.session.completed for a pending order", () => fetch(`${api.url}/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": signatureFor(payload) }, body: payload })],
      ["GET /orders?limit=20&cursor=<deep>", () => fetch(`${api.url}/orders?limit=20&cursor=${encodeURIComponent(deepCursor)}`, { headers: { authorization: `Bearer ${bench.buyers[0]!.token}` } })],
    ];
    for (const [label, send] of steps) {
      log.start();
      const res = await send();
      await res.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 300));
      plans.push(...parsePlans(label, log.stop()));
    }
  } finally {
    await api.stop();
    await bench.db.pool.query(`ALTER DATABASE ${database} RESET ALL`);
  }
  return plans;
}

/** auto_explain's log entries ("LOG:  duration: … ms  plan:" + the plan) that touch the shop's tables. */
export function parsePlans(label: string, text: string): Plan[] {
  const plans: Plan[] = [];
  const entries = text.split(/^.*LOG:\s+duration: [\d.]+ ms\s+plan:\s*$/m).slice(1);
  for (const entry of entries) {
    const body = entry.split(/^\S/m)[0]!.replace(/^\t/gm, "").trim();
    const sql = /^Query Text: ([\s\S]*?)\n(?=\S)/.exec(body)?.[1]?.trim() ?? "";
    if (!/"(Order|OrderItem|PaymentEvent)"/.test(sql)) continue;
    plans.push({ name: `${label} #${plans.length + 1}`, sql, plan: body.replace(/^Query Text: [\s\S]*?\n(?=\S)/, "") });
  }
  return plans;
}

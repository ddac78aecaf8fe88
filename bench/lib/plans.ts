import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type Stripe from "stripe";
import { loadConfig } from "../../api/src/config.js";
import { buildContext } from "../../api/src/context.js";
import { PrismaClient } from "../../api/src/generated/prisma/client.js";
import { createLogger } from "../../api/src/logger.js";
import { listOrders } from "../../api/src/orders/orders-service.js";
import { processEvent } from "../../api/src/webhooks/event-handlers.js";
import { BENCH_WEBHOOK_SECRET, completedEventFor } from "./events.js";
import type { Plan } from "./report.js";

type QueryConfig = { text: string; values?: unknown[] };

/**
 * The query plans of the service's own hot paths, on the bench's data. The service code
 * runs here unchanged (webhook fulfilment, GET /orders) on a pool that, before running
 * each statement for real, runs it once more with the same parameters in a transaction
 * that is rolled back, with auto_explain (ANALYZE, BUFFERS, nested statements) sending
 * every plan back as a notice. So the plans are those of the exact SQL the API sends,
 * Prisma's and the statement inside the `apply_session_state` function included.
 */
export async function captureHotPathPlans(
  databaseUrl: string,
  input: { ingestSeries: number; ingestIndex: number; listUserId: string; deepCursor: string },
): Promise<Plan[]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const plans: Plan[] = [];
  let label = "";
  const query = pool.query.bind(pool) as (config: QueryConfig | string, values?: unknown[]) => Promise<pg.QueryResult>;
  const explaining = async (config: QueryConfig | string, values?: unknown[]) => {
    const text = typeof config === "string" ? config : config.text;
    const params = typeof config === "string" ? values : (config.values ?? values);
    const client = await pool.connect();
    const notices: string[] = [];
    const onNotice = (notice: { message?: string }) => notices.push(notice.message ?? "");
    client.on("notice", onNotice);
    try {
      await client.query("BEGIN");
      await client.query("LOAD 'auto_explain'");
      for (const setting of ["auto_explain.log_min_duration = 0", "auto_explain.log_analyze = on", "auto_explain.log_buffers = on", "auto_explain.log_nested_statements = on", "client_min_messages = log"]) {
        await client.query(`SET LOCAL ${setting}`);
      }
      await client.query({ text, values: params });
      for (const notice of notices.filter((n) => n.includes("plan:"))) {
        const plan = notice.slice(notice.indexOf("plan:") + "plan:".length).trim();
        const sql = /^Query Text: ([\s\S]*?)\n(?=\S)/.exec(plan)?.[1]?.trim() ?? text.trim();
        plans.push({ name: `${label} #${plans.filter((p) => p.name.startsWith(label)).length + 1}`, sql, plan: plan.replace(/^Query Text: [\s\S]*?\n(?=\S)/, "") });
      }
    } finally {
      await client.query("ROLLBACK");
      client.off("notice", onNotice);
      client.release();
    }
    return query(config as string, values);
  };
  (pool as unknown as { query: typeof explaining }).query = explaining;

  const loaded = loadConfig({
    NODE_ENV: "development",
    DATABASE_URL: databaseUrl,
    JWT_SECRET: "bench-plans-secret-that-signs-nothing-0000",
    STRIPE_SECRET_KEY: "sk_test_benchPlans",
    STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
    STRIPE_API_URL: "http://127.0.0.1:9",
    LOG_LEVEL: "silent",
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const ctx = buildContext(loaded.config, {
    db: { prisma, pool, close: async () => undefined },
    logger: createLogger({ level: "silent" }),
  });
  try {
    label = "webhook: checkout.session.completed for a pending order";
    const payload = completedEventFor(input.ingestSeries, input.ingestIndex);
    await processEvent(ctx, JSON.parse(payload) as Stripe.Event, payload);
    label = "GET /orders?limit=20&cursor=<deep>";
    await listOrders(ctx, { userId: input.listUserId, limit: 20, cursor: input.deepCursor });
  } finally {
    await ctx.close();
    await prisma.$disconnect();
    await pool.end();
  }
  return plans;
}

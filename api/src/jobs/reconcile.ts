import { parseArgs } from "node:util";
import { reconcile } from "../reconcile/reconcile-service.js";
import { contextFromEnvironment } from "./app-context.js";

// `npm run reconcile [-- --since 2026-11-20T00:00:00Z | --hours 12]`
const { values } = parseArgs({ options: { since: { type: "string" }, hours: { type: "string" } } });
const since = values.since ? new Date(values.since) : values.hours ? new Date(Date.now() - Number(values.hours) * 3_600_000) : undefined;
if (since && Number.isNaN(since.getTime())) {
  process.stderr.write("--since must be an ISO date, --hours a number\n");
  process.exit(1);
}

const ctx = contextFromEnvironment();
try {
  const summary = await reconcile(ctx, { since });
  process.stdout.write(
    `Reconciliation: ${summary.fetched} events fetched, ${summary.applied} applied, ${summary.alreadyPresent} already present, ${summary.ignored} ignored, ${summary.rejected} rejected\n`,
  );
} catch (err) {
  ctx.logger.error({ err }, "reconciliation failed");
  process.exitCode = 1;
} finally {
  await ctx.close();
}

import { runMaintenance } from "../maintenance/maintenance-service.js";
import { recordJobSuccess } from "../platform/metrics/job-runs.js";
import { contextFromEnvironment } from "./app-context.js";

// `npm run maintenance`: idempotent housekeeping; schedule it (e.g. every 15 minutes).
const ctx = contextFromEnvironment();
try {
  const summary = await runMaintenance(ctx);
  if (summary) await recordJobSuccess(ctx.prisma, "maintenance", ctx.clock.now());
  process.stdout.write(summary ? `Maintenance: ${JSON.stringify(summary)}\n` : "Maintenance: another run is in progress; nothing done\n");
} catch (err) {
  ctx.logger.error({ err }, "maintenance failed");
  process.exitCode = 1;
} finally {
  await ctx.close();
}

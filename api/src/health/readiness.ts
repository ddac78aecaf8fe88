import type { AppContext } from "../context.js";
import { pendingMigrationsOf } from "../platform/db/migrations.js";

/** A frozen database must not hang the load balancer's probe. */
export const READY_DEADLINE_MS = 500;

type Check = "ok" | "fail";
export interface Readiness {
  status: "ready" | "unavailable" | "shutting_down";
  checks: { database: Check; migrations: Check };
}

/** Pass only when the database answers within the deadline and every migration file is applied. */
export async function checkReadiness(ctx: AppContext): Promise<Readiness> {
  const checks = await runChecks(ctx);
  if (ctx.lifecycle.shuttingDown) return { status: "shutting_down", checks };
  const ok = checks.database === "ok" && checks.migrations === "ok";
  return { status: ok ? "ready" : "unavailable", checks };
}

async function runChecks(ctx: AppContext): Promise<Readiness["checks"]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), READY_DEADLINE_MS);
  });
  const probe = (async () => {
    const pending = await pendingMigrationsOf(ctx.db.pool, ctx.migrationFiles, READY_DEADLINE_MS);
    return pending.length === 0;
  })();
  try {
    const result = await Promise.race([probe, timeout]);
    if (result === "timeout") {
      probe.catch(() => undefined); // settles later; nothing is waiting for it any more
      return { database: "fail", migrations: "fail" };
    }
    return { database: "ok", migrations: result ? "ok" : "fail" };
  } catch {
    return { database: "fail", migrations: "fail" };
  } finally {
    clearTimeout(timer);
  }
}

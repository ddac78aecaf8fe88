import { createApp } from "./app.js";
import { loadConfig } from "./platform/config.js";
import { buildContext } from "./context.js";
import { runUntilSignalled } from "./platform/lifecycle/signals.js";
import { startServer } from "./server.js";

/**
 * Reads the environment, builds the context, listens, and exits on SIGTERM/SIGINT: the only
 * module that does any of these.
 */
async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    process.stderr.write(`Invalid configuration:\n${loaded.problems.map((p) => `  ${p}`).join("\n")}\n`);
    process.exit(1);
  }
  const ctx = buildContext(loaded.config);
  const app = createApp(ctx);
  const running = await startServer(ctx, app);
  const exitCode = runUntilSignalled(ctx.logger, running);

  process.on("unhandledRejection", (reason) => {
    ctx.logger.error({ err: reason }, "unhandled rejection");
    void ctx.errorReporter.captureCrash(reason, "unhandledRejection");
  });
  process.on("uncaughtException", (err) => {
    ctx.logger.fatal({ err }, "uncaught exception");
    // Waits (bounded) until Sentry has the crash, when configured; immediate otherwise.
    void ctx.errorReporter.captureCrash(err, "uncaughtException").finally(() => process.exit(1));
  });
  process.exit(await exitCode);
}

main().catch((err: unknown) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

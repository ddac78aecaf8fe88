import v8 from "node:v8";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { buildContext } from "./context.js";
import { runUntilSignalled } from "./lifecycle/signals.js";
import { startServer } from "./server.js";

/**
 * The only module that reads the environment, listens and handles signals.
 */
/**
 * How far V8 lets the heap grow past what the last full collection kept: 100 %. Left to
 * itself, V8 picks a factor of up to 4 when collections are fast, so under bursts a live
 * set of 40-60 MB held 150-180 MB of heap and the process 210-260 MB of memory, given
 * back only slowly. At 100 % the heap stays near 100 MB for the same CPU; at 75 % it was
 * smaller still but cost the webhook 26 µs of CPU per event (bench/README.md, finding 15).
 * A container's memory limit still caps the heap as Node sizes it. V8 reads this flag
 * whenever it sizes the heap, so setting it here, before the app allocates, applies
 * however the process was started (npm start, the image, a one-shot job). The young
 * generation's cap, by contrast, is read only when V8 creates the heap, so it is a flag of
 * the start command (`--max-semi-space-size=8` in package.json, Dockerfile, entrypoint.sh).
 */
const HEAP_GROWING_PERCENT = 100;

async function main(): Promise<void> {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
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

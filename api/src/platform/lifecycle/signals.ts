import type { Logger } from "../logger.js";

export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"];

/**
 * Waits for SIGTERM or SIGINT, then runs the shutdown sequence once.
 * Resolves with the exit code for main.ts, the only module that exits: 0 after a clean
 * shutdown, 1 when it failed. A repeated signal (an impatient orchestrator or a second
 * Ctrl-C) is logged and ignored, so it cannot cut the drain short.
 */
export function runUntilSignalled(logger: Logger, running: { shutdown(): Promise<void> }, signals = SHUTDOWN_SIGNALS): Promise<number> {
  return new Promise((resolve) => {
    let started = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (started) {
        logger.warn({ signal }, "signal received again; shutdown already in progress");
        return;
      }
      started = true;
      logger.info({ signal }, "signal received");
      running.shutdown().then(
        () => resolve(0),
        (err: unknown) => {
          logger.fatal({ err }, "shutdown failed");
          resolve(1);
        },
      );
    };
    for (const signal of signals) process.on(signal, onSignal);
  });
}

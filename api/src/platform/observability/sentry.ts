import type { Logger } from "../logger.js";
import { AppError } from "../errors.js";
import { isDatabaseUnavailable } from "../db/database.js";
import { scrubEvent } from "./scrub.js";

/**
 * Reports unexpected errors to Sentry when `SENTRY_DSN` is set; without it nothing is
 * loaded, initialised or sent. One client per context, on its own scope, so it never
 * touches Sentry's global state and several apps in one process stay apart.
 */
export interface ErrorReporter {
  readonly enabled: boolean;
  /** From the error handler: an error answered 5xx. Outages (503, provider unavailable) are not reported. */
  captureUnexpected(err: unknown, requestId: string): void;
  /** From main.ts: an uncaught exception or unhandled rejection; resolves once sent (or timed out). */
  captureCrash(err: unknown, kind: "uncaughtException" | "unhandledRejection"): Promise<void>;
  /** Sends what is queued (bounded) and releases the client. */
  close(): Promise<void>;
}

const FLUSH_TIMEOUT_MS = 2000;

/** Bugs and misconfiguration, not outages: those are metrics and alerts (GO_LIVE_CHECKLIST.md). */
export function isReportable(err: unknown): boolean {
  if (err instanceof AppError) return err.code === "INTERNAL" || err.code === "PAYMENT_PROVIDER_ERROR";
  return !isDatabaseUnavailable(err);
}

const disabled: ErrorReporter = {
  enabled: false,
  captureUnexpected: () => undefined,
  captureCrash: async () => undefined,
  close: async () => undefined,
};

export function createErrorReporter(options: { dsn?: string; environment: string; release: string; logger: Logger }): ErrorReporter {
  if (!options.dsn) return disabled;
  const { logger } = options;

  // Loaded only when configured: the SDK is large and nothing of it should run otherwise.
  const ready = import("@sentry/node").then((Sentry) => {
    const client = new Sentry.NodeClient({
      dsn: options.dsn,
      environment: options.environment,
      release: options.release,
      transport: Sentry.makeNodeTransport,
      stackParser: Sentry.defaultStackParser,
      // No default integrations: none that read requests, local variables, source lines or
      // console output, and none that patch modules or install process handlers.
      integrations: [Sentry.linkedErrorsIntegration(), Sentry.dedupeIntegration()],
      // Belt and braces: no integration here collects these, and beforeSend drops them too.
      dataCollection: { userInfo: false, cookies: false, httpHeaders: false, httpBodies: [], urlQueryParams: false },
      sendClientReports: false,
      maxBreadcrumbs: 0,
      beforeSend: scrubEvent,
    });
    client.init();
    const scope = new Sentry.Scope();
    scope.setClient(client);
    return { client, scope };
  });
  ready.catch((err: unknown) => logger.error({ err: { message: (err as Error).message } }, "error reporting could not start"));

  const capture = (err: unknown, tags: Record<string, string>) =>
    ready.then(({ scope }) => {
      const eventScope = scope.clone();
      eventScope.setTags(tags);
      eventScope.captureException(err);
    });

  return {
    enabled: true,
    captureUnexpected(err, requestId) {
      if (!isReportable(err)) return;
      capture(err, { requestId }).catch(() => undefined);
    },
    async captureCrash(err, kind) {
      await capture(err, { crash: kind })
        .then(() => ready)
        .then(({ client }) => client.flush(FLUSH_TIMEOUT_MS))
        .catch(() => undefined);
    },
    async close() {
      await ready.then(({ client }) => client.close(FLUSH_TIMEOUT_MS)).catch(() => undefined);
    },
  };
}

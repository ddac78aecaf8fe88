import Stripe from "stripe";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics/metrics.js";

export { Stripe };

/**
 * The one Stripe SDK instance. `STRIPE_API_URL` points it at a Stripe-compatible server
 * (our local stand-in in tests and the sandbox); config refuses that in production.
 * The API version is the SDK's pinned one, so payloads match the SDK's types.
 */
export function createStripeClient(config: Config["stripe"]): Stripe {
  const target = config.apiUrl ? new URL(config.apiUrl) : undefined;
  return new Stripe(config.secretKey, {
    // Per attempt: stripe-node's timeout is an idle-socket timeout, retried like a
    // connection error; `withDeadline` bounds the whole call.
    timeout: config.timeoutMs,
    maxNetworkRetries: config.maxNetworkRetries,
    telemetry: false,
    appInfo: { name: "checkout-api" },
    ...(target
      ? {
          host: target.hostname,
          port: target.port || (target.protocol === "https:" ? 443 : 80),
          protocol: target.protocol === "https:" ? "https" : "http",
        }
      : {}),
  });
}

/**
 * Bounds a Stripe call made while a client waits: whatever the SDK's retries do, the
 * caller gets an answer within `deadlineMs`.
 */
export async function withDeadline<T>(deadlineMs: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError("PAYMENT_PROVIDER_UNAVAILABLE", "The payment provider did not answer in time; retry later.")),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([call(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Translates a Stripe SDK failure into our closed set: unreachable, timed out, 5xx, 429 or
 * 409 (after the SDK's own retries) → PAYMENT_PROVIDER_UNAVAILABLE; any other 4xx is our bug
 * or configuration → PAYMENT_PROVIDER_ERROR, logged at error level, never shown in detail.
 */
export function translateStripeError(err: unknown, logger: Logger, context: Record<string, unknown>): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; statusCode?: number; code?: string; message?: string; requestId?: string };
  const status = e.statusCode ?? 0;
  // 409: another request with this idempotency key is still running at Stripe (or a lock
  // timed out): the outcome is unknown, exactly like no answer at all, so never "refused".
  const unavailable =
    e.type === "StripeConnectionError" || e.type === "StripeAPIError" || status >= 500 || status === 429 || status === 409 || status === 0;
  if (unavailable) {
    const replayed = stripeErrorAnswer(err).replayed || undefined;
    logger.warn({ ...context, stripeStatus: status || undefined, stripeType: e.type, stripeReplayed: replayed }, "stripe unavailable");
    return new AppError("PAYMENT_PROVIDER_UNAVAILABLE", "The payment provider is unavailable; retry later.", { cause: err });
  }
  logger.error(
    { ...context, stripeStatus: status, stripeType: e.type, stripeCode: e.code, stripeMessage: e.message, stripeRequestId: e.requestId },
    "stripe refused our request",
  );
  return new AppError("PAYMENT_PROVIDER_ERROR", "The payment provider refused the request.", { cause: err });
}

/** The final Stripe answer behind a failed call, as far as the SDK's error tells. */
export interface StripeErrorAnswer {
  /** Its HTTP status; undefined when there was no answer (connection error, timeout, deadline). */
  status: number | undefined;
  /**
   * True when the answer carried `Idempotent-Replayed: true`: Stripe saved it under the request's
   * idempotency key and will give it to every retry with that key for 24 h, errors included.
   */
  replayed: boolean;
}

/**
 * Reads the Stripe answer behind an error from `callStripe` (the AppError's cause) or a raw SDK
 * error. stripe-node retries on its own and puts the final answer's headers on the error.
 */
export function stripeErrorAnswer(err: unknown): StripeErrorAnswer {
  const cause = err instanceof AppError ? err.cause : err;
  const e = (cause ?? {}) as { statusCode?: number; headers?: Record<string, string | undefined> };
  return { status: e.statusCode, replayed: e.headers?.["idempotent-replayed"] === "true" };
}

/**
 * A Stripe call made while a client waits: bounded by the deadline, failures translated
 * into our closed set and counted. `operation` names it in logs and metrics.
 */
export async function callStripe<T>(
  ctx: { config: Pick<Config, "stripe">; metrics: Pick<Metrics, "stripeFailure" | "timeStripeCall"> },
  log: Logger,
  operation: string,
  context: Record<string, unknown>,
  call: () => Promise<T>,
  deadlineMs = ctx.config.stripe.deadlineMs,
): Promise<T> {
  try {
    return await ctx.metrics.timeStripeCall(operation, () => withDeadline(deadlineMs, call));
  } catch (err) {
    const error = translateStripeError(err, log, { operation, ...context });
    ctx.metrics.stripeFailure(operation, error.code === "PAYMENT_PROVIDER_ERROR" ? "refused" : "unavailable");
    throw error;
  }
}

import type pg from "pg";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { registerDatabaseGauges, type GaugeQueries } from "./database-gauges.js";

/**
 * What the webhook did with one event. Call `webhookEvent(type, "received")` once the
 * signature verified, then exactly one final outcome for that event; a bad signature is
 * only `invalid_signature` (its type cannot be trusted, so pass "unknown"). `received`
 * feeds only the admin snapshot: `webhook_events_total` counts each event once, by outcome.
 */
export type WebhookOutcome = "received" | "processed" | "duplicate" | "ignored" | "rejected" | "invalid_signature" | "error";

/** `unavailable`: network, timeout, 5xx or 429 after retries; `refused`: Stripe answered 4xx. */
export type StripeFailureKind = "unavailable" | "refused";

/** The body of `GET /admin/metrics`: counters of this process since it started. */
export interface AdminMetrics {
  webhook: { received: number; processed: number; duplicates: number; ignored: number; rejected: number; invalidSignatures: number; errors: number };
  runtime: { uptimeSeconds: number; http5xx: number; version: string };
}

/**
 * The app's metrics, one instance per context. Each has its own Prometheus registry (never
 * prom-client's global one), so several apps in one process (the tests) never share or
 * collide on counters.
 */
export interface Metrics {
  readonly registry: Registry;
  /** One finished HTTP request; `route` is the Express route pattern, never the raw URL. */
  httpRequest(input: { method: string; route: string; status: number; seconds: number }): void;
  webhookEvent(type: string, outcome: WebhookOutcome): void;
  orderTransition(from: string, to: string): void;
  checkoutCreated(): void;
  /** A Stripe call that failed after the SDK's retries; `operation` e.g. "checkout.sessions.create". */
  stripeFailure(operation: string, kind: StripeFailureKind): void;
  /** One refund request's outcome as Stripe answered it (pending, succeeded, failed): once per request. */
  refund(outcome: string): void;
  /** Times one Stripe call (success or failure) under `operation`. */
  timeStripeCall<T>(operation: string, call: () => Promise<T>): Promise<T>;
  /** An applied webhook event: seconds from its `created` (Unix seconds) to `appliedAt`. */
  webhookLag(type: string, created: number, appliedAt: Date): void;
  /** The rate limiter could not reach Redis and used this instance's memory instead. */
  rateLimitFallback(limiter: string): void;
  /** Prometheus text exposition of every metric. */
  render(): Promise<string>;
  readonly contentType: string;
  snapshot(): AdminMetrics;
}

type PoolCounts = Pick<pg.Pool, "totalCount" | "idleCount" | "waitingCount">;

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

const ADMIN_KEYS: Record<WebhookOutcome, keyof AdminMetrics["webhook"]> = {
  received: "received",
  processed: "processed",
  duplicate: "duplicates",
  ignored: "ignored",
  rejected: "rejected",
  invalid_signature: "invalidSignatures",
  error: "errors",
};

export interface MetricsOptions {
  pool: PoolCounts;
  version: string;
  uptimeSeconds?: () => number;
  /** When given, gauges read from PostgreSQL at scrape time (oldest pending order, job runs). */
  database?: GaugeQueries;
  /** Refunds an operator must resolve by hand, read from the database when scraped. */
  refundsNeedingOperator?: () => Promise<number>;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];
  // Process metrics (CPU, memory, event loop lag, GC, handles) on this registry only.
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by method, Express route pattern and status code",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: HTTP_BUCKETS,
    registers,
  });
  const webhookEvents = new Counter({
    name: "webhook_events_total",
    help: "Stripe webhook events by event type and outcome",
    labelNames: ["type", "outcome"] as const,
    registers,
  });
  const orderTransitions = new Counter({
    name: "order_transitions_total",
    help: "Order status changes by previous and new status",
    labelNames: ["from", "to"] as const,
    registers,
  });
  const checkoutSessions = new Counter({
    name: "checkout_sessions_created_total",
    help: "Stripe Checkout sessions created",
    registers,
  });
  const stripeFailures = new Counter({
    name: "stripe_failures_total",
    help: "Stripe API calls that failed after the SDK's retries, by operation and kind (unavailable, refused)",
    labelNames: ["operation", "kind"] as const,
    registers,
  });
  const refunds = new Counter({
    name: "refunds_total",
    help: "Refund requests by the outcome Stripe answered (pending, succeeded, failed), each counted once",
    labelNames: ["outcome"] as const,
    registers,
  });
  const stripeDuration = new Histogram({
    name: "stripe_request_duration_seconds",
    help: "Duration of each Stripe API call, SDK retries included, by operation",
    labelNames: ["operation"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15],
    registers,
  });
  const webhookLag = new Histogram({
    name: "webhook_event_lag_seconds",
    help: "Seconds from a Stripe event's creation to its being applied here, by event type",
    labelNames: ["type"] as const,
    buckets: [1, 5, 15, 30, 60, 300, 900, 3600, 21600, 86400],
    registers,
  });
  const rateLimitFallbacks = new Counter({
    name: "rate_limit_redis_fallbacks_total",
    help: "Rate-limit decisions taken from in-memory counters because Redis failed",
    labelNames: ["limiter"] as const,
    registers,
  });
  const countNeedingOperator = options.refundsNeedingOperator;
  if (countNeedingOperator) {
    new Gauge({
      name: "refunds_needing_operator",
      help: "Refunds whose Stripe outcome is unknown and too old to resubmit safely; alert when above 0",
      registers,
      async collect() {
        // A database outage must not take the scrape down with it; the gauge keeps its last value.
        const count = await countNeedingOperator().catch(() => undefined);
        if (count !== undefined) this.set(count);
      },
    });
  }
  // Pool gauges are read when scraped, so they are exact at that moment.
  new Gauge({
    name: "db_pool_connections_in_use",
    help: "Database connections checked out of the pool",
    registers,
    collect() {
      this.set(options.pool.totalCount - options.pool.idleCount);
    },
  });
  new Gauge({
    name: "db_pool_connections_idle",
    help: "Open database connections waiting in the pool",
    registers,
    collect() {
      this.set(options.pool.idleCount);
    },
  });
  new Gauge({
    name: "db_pool_waiting_requests",
    help: "Queries waiting for a free database connection",
    registers,
    collect() {
      this.set(options.pool.waitingCount);
    },
  });
  if (options.database) registerDatabaseGauges(registry, options.database);
  new Gauge({ name: "app_info", help: "Always 1; the version label says what runs", labelNames: ["version"] as const, registers }).set(
    { version: options.version },
    1,
  );

  const admin: AdminMetrics["webhook"] = { received: 0, processed: 0, duplicates: 0, ignored: 0, rejected: 0, invalidSignatures: 0, errors: 0 };
  let http5xx = 0;
  const uptime = options.uptimeSeconds ?? (() => Math.floor(process.uptime()));

  return {
    registry,
    contentType: registry.contentType,
    httpRequest({ method, route, status, seconds }) {
      httpDuration.observe({ method, route, status_code: String(status) }, seconds);
      if (status >= 500) http5xx += 1;
    },
    webhookEvent(type, outcome) {
      if (outcome !== "received") webhookEvents.inc({ type, outcome });
      admin[ADMIN_KEYS[outcome]] += 1;
    },
    orderTransition(from, to) {
      orderTransitions.inc({ from, to });
    },
    checkoutCreated() {
      checkoutSessions.inc();
    },
    stripeFailure(operation, kind) {
      stripeFailures.inc({ operation, kind });
    },
    refund(outcome) {
      refunds.inc({ outcome });
    },
    async timeStripeCall(operation, call) {
      const end = stripeDuration.startTimer({ operation });
      try {
        return await call();
      } finally {
        end();
      }
    },
    webhookLag(type, created, appliedAt) {
      webhookLag.observe({ type }, Math.max(0, appliedAt.getTime() / 1000 - created));
    },
    rateLimitFallback(limiter) {
      rateLimitFallbacks.inc({ limiter });
    },
    render: () => registry.metrics(),
    snapshot: () => ({ webhook: { ...admin }, runtime: { uptimeSeconds: uptime(), http5xx, version: options.version } }),
  };
}

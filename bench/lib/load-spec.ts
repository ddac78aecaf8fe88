/** What bench/loader.ts is asked to do (JSON on its stdin) and what it answers (JSON on stdout). */

export type LoadRequest =
  /** A fresh signed event per request, paying orders `start`, `start+1`, … of `series`. */
  | { kind: "webhook"; series: number; start: number; count: number }
  /**
   * Stripe redelivering a backlog: events of `series` in the order `backlogSequence(distinct,
   * duplicateShare)` gives, each position sent exactly once (run with `amount` = its length).
   */
  | { kind: "backlog"; series: number; distinct: number; duplicateShare: number }
  | { kind: "static"; method: "GET" | "POST"; path: string; headers?: Record<string, string>; body?: string }
  /** Authenticated checkouts with a fresh Idempotency-Key per request, cycling through `tokens`. */
  | { kind: "checkout"; path: string; tokens: string[]; body: string }
  /** GET /orders pages, cycling through the given cursors (and tokens). */
  | { kind: "orders"; tokens: string[]; cursors: string[]; limit: number };

export interface LoadRun {
  name: string;
  url: string;
  connections: number;
  /** Seconds to run; ignored when `amount` is given. */
  durationS: number;
  request: LoadRequest;
  /** Send exactly this many requests, then stop. */
  amount?: number;
  /**
   * Requests per second across all connections, evenly spaced (open loop: one is sent every
   * 1/rate s whether or not earlier ones were answered, and waits for a free connection);
   * default: as fast as answers come.
   */
  rate?: number;
  /** Seconds before an unanswered request counts as a timeout; default 10. */
  timeoutS?: number;
  /**
   * With `rate`: when to send the first request (ms since the epoch, the machine's clock
   * shared by every process), so loads in separate processes start together whatever their
   * start-up took; a load that is late starts at once.
   */
  startAt?: number;
  /**
   * With `rate`: seconds sent at the same rate before `durationS` whose answers are not
   * recorded (a warm-up in the same process and connections as the measured load).
   */
  warmUpS?: number;
}

/** Latency of the answers with one status code, ms. */
export interface StatusLatency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  name: string;
  /** 2xx responses per second over the run. */
  throughput: number;
  /** Latency of every answer, ms. */
  p50: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx responses. */
  errors: number;
  /** Requests that got no answer at all (connection errors and timeouts). */
  unanswered: number;
  ok: number;
  durationS: number;
  statusCodes: Record<string, number>;
  byStatus: Record<string, StatusLatency>;
  /** CPU time the target process spent per 2xx answer, µs (set by the runner, not the loader). */
  cpuUsPerOk?: number;
  /** A `webhook` run used more events than it was given orders (later ones were duplicates). */
  exhausted?: boolean;
  /** 2xx answers to the warm-up's requests (`warmUpS`), not counted in `ok`. */
  warmUpOk?: number;
}

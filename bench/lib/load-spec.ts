/** What bench/loader.ts is asked to do (JSON on its stdin) and what it answers (JSON on stdout). */

export type LoadRequest =
  /** A fresh signed event per request, paying orders `start`, `start+1`, … of `series`. */
  | { kind: "webhook"; series: number; start: number; count: number }
  /** The same signed event on every request (a redelivery storm). */
  | { kind: "webhook-duplicate"; series: number; index: number }
  | { kind: "static"; method: "GET" | "POST"; path: string; headers?: Record<string, string>; body?: string }
  /** An authenticated checkout with a fresh Idempotency-Key per request. */
  | { kind: "checkout"; path: string; token: string; body: string; extraHeaders?: Record<string, string> }
  /** GET /orders pages, cycling through the given cursors (and tokens). */
  | { kind: "orders"; tokens: string[]; cursors: string[]; limit: number };

export interface LoadRun {
  name: string;
  url: string;
  connections: number;
  durationS: number;
  request: LoadRequest;
}

export interface LoadResult {
  name: string;
  /** 2xx responses per second over the run. */
  throughput: number;
  /** Latency of 2xx responses, ms. */
  p50: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx responses. */
  errors: number;
  ok: number;
  durationS: number;
  statusCodes: Record<string, number>;
  /** CPU time the target process spent per 2xx answer, µs (set by the runner, not the loader). */
  cpuUsPerOk?: number;
  /** CPU time PostgreSQL's backends for the bench database spent per 2xx answer, µs. */
  dbCpuUsPerOk?: number;
  /** A `webhook` run used more events than it was given orders (later ones were duplicates). */
  exhausted?: boolean;
}

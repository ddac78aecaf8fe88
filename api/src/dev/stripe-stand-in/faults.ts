/**
 * Network and server trouble on demand. A fault answers before the idempotency cache and the
 * endpoint logic run (unless `afterProcessing`), so a test can model "the first attempt was
 * lost, the retry succeeds" with the same Idempotency-Key.
 */
export interface Fault {
  /** Only this method (default: any). */
  method?: string;
  /** The request path without query string: exactly this string, or matching this pattern. */
  path: string | RegExp;
  /** Answer with this status and Stripe's error body for it. */
  status?: 500 | 429 | 400;
  /** Wait this long (real time) first; alone, the request is then served normally. */
  latencyMs?: number;
  /** Cut the connection without an answer (the SDK sees ECONNRESET). */
  drop?: boolean;
  /** How many requests it hits before it is used up; default: every request until `clearFaults()`. */
  times?: number;
  /**
   * Run the real endpoint first (its answer is stored under the Idempotency-Key), then fail the
   * response with `status` or `drop`: "Stripe did it, but the answer was lost".
   */
  afterProcessing?: boolean;
  /** Send `Stripe-Should-Retry: true|false` with a status fault (the SDK retries a 429 only when told `true`). */
  shouldRetry?: boolean;
}

export class FaultList {
  private faults: { fault: Fault; left: number }[] = [];

  add(fault: Fault): void {
    this.faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.faults = [];
  }

  /** The first live fault matching the request, used up by one. */
  take(method: string, path: string): Fault | undefined {
    const entry = this.faults.find(({ fault, left }) => {
      if (left <= 0) return false;
      if (fault.method && fault.method.toUpperCase() !== method) return false;
      return typeof fault.path === "string" ? fault.path === path : fault.path.test(path);
    });
    if (!entry) return undefined;
    entry.left -= 1;
    return entry.fault;
  }
}

export function faultBody(status: number): object {
  if (status === 429) {
    return { error: { type: "invalid_request_error", code: "rate_limit", message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits." } };
  }
  if (status === 400) return { error: { type: "invalid_request_error", message: "Injected fault: the stand-in was told to refuse this request." } };
  return { error: { type: "api_error", message: "An unknown error occurred (injected fault)." } };
}

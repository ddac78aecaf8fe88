/**
 * Network and server trouble on demand, in the two kinds Stripe's idempotency layer tells
 * apart (Stripe saves a key's answer only once its endpoint logic began to run):
 *
 * - `before` (default): the request never reached Stripe's logic (a 500 or 429 from the edge,
 *   a cut connection, latency). Nothing is saved, so a retry with the same key can succeed.
 *   A test that wants the SDK to give up injects 1 + maxNetworkRetries of them.
 * - `saved`: Stripe's logic ran and its answer is stored under the Idempotency-Key and replayed
 *   (`Idempotent-Replayed: true`) to every retry with that key for 24 h. By default that answer
 *   is a 500 marked `Stripe-Should-Retry: false`, as Stripe marks errors it would only replay;
 *   with `omitFields`, it is the endpoint's own answer without those fields.
 */
export interface Fault {
  /** Only this method (default: any). */
  method?: string;
  /** The request path without query string: exactly this string, or matching this pattern. */
  path: string | RegExp;
  /** Default `before`. */
  kind?: "before" | "saved";
  /** `before` only: answer with this status and Stripe's error body for it. */
  status?: 500 | 429 | 400;
  /** `before` only: wait this long (real time) first; alone, the request is then served normally. */
  latencyMs?: number;
  /**
   * Cut the connection without an answer (the SDK sees ECONNRESET and retries it once even with
   * `maxNetworkRetries: 0`). With `saved`: the answer was saved, then lost on the way back.
   */
  drop?: boolean;
  /** How many requests it hits before it is used up; default: every request until `clearFaults()`. */
  times?: number;
  /**
   * `before` only: run the real endpoint first (its answer is stored under the Idempotency-Key),
   * then fail the response with `status` or `drop`: "Stripe did it, but the answer was lost".
   */
  afterProcessing?: boolean;
  /** `before` only: send `Stripe-Should-Retry: true|false` with a status fault (the SDK retries a 429 only when told `true`). */
  shouldRetry?: boolean;
  /** `saved` only: top-level fields removed from the endpoint's answer (e.g. a session without `url`). */
  omitFields?: string[];
}

export class FaultList {
  private faults: { fault: Fault; left: number }[] = [];

  add(fault: Fault): void {
    this.faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * The first live fault of `kind` matching the request, used up by one. `before` faults are
   * taken as a request arrives; `saved` ones only when the endpoint logic is about to run, so a
   * replayed key does not use one up.
   */
  take(kind: "before" | "saved", method: string, path: string): Fault | undefined {
    const entry = this.faults.find(({ fault, left }) => {
      if (left <= 0 || (fault.kind ?? "before") !== kind) return false;
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

import type { Clock } from "../../api/src/platform/clock.js";

/** Stripe keeps a key's first answer for 24 hours. */
const KEY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoredAnswer {
  status: number;
  body: unknown;
  /** Headers sent with the answer and its replays (e.g. `stripe-should-retry`). */
  headers?: Record<string, string>;
}

interface Entry {
  endpoint: string;
  fingerprint: string;
  answer: StoredAnswer;
  storedAt: number;
}

export type IdempotencyLookup =
  | { kind: "new" }
  | { kind: "replay"; answer: StoredAnswer }
  | { kind: "mismatch"; firstEndpoint: string; sameEndpoint: boolean };

/**
 * Idempotency as Stripe does it: per API key, the first answer of the endpoint logic (errors
 * included) is kept and replayed for the same parameters; other parameters or another endpoint
 * under the same key are refused.
 */
export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  lookup(apiKey: string, key: string, endpoint: string, params: unknown): IdempotencyLookup {
    const entry = this.entries.get(`${apiKey}\u0000${key}`);
    if (!entry || this.clock.now().getTime() - entry.storedAt >= KEY_TTL_MS) return { kind: "new" };
    if (entry.endpoint === endpoint && entry.fingerprint === fingerprint(params)) return { kind: "replay", answer: entry.answer };
    return { kind: "mismatch", firstEndpoint: entry.endpoint, sameEndpoint: entry.endpoint === endpoint };
  }

  store(apiKey: string, key: string, endpoint: string, params: unknown, answer: StoredAnswer): void {
    this.entries.set(`${apiKey}\u0000${key}`, { endpoint, fingerprint: fingerprint(params), answer, storedAt: this.clock.now().getTime() });
  }
}

/** Parameters compared by value, whatever order their keys were sent in. */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

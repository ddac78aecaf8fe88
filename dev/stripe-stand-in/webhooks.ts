import Stripe from "stripe";
import type { Clock } from "../../api/src/platform/clock.js";
import type { Logger } from "../../api/src/platform/logger.js";
import type { DeliveryRecord } from "./types.js";

/** Stripe waits about this long for a webhook answer before it counts the attempt failed. */
const DELIVERY_TIMEOUT_MS = 10_000;

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

/** The exact bytes and headers Stripe would POST: pretty JSON, signed over `timestamp.body`. */
export function signEvent(event: object, secret: string, timestamp: number): SignedDelivery {
  const body = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
  return {
    body,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "stripe-signature": signature,
      "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    },
  };
}

/**
 * Sends events to the webhook URL one after another, in the order they happened, like
 * `stripe listen --forward-to`. A failed delivery is recorded, not retried: tests redeliver
 * explicitly with `deliver()`.
 */
export class Deliverer {
  readonly deliveries: DeliveryRecord[] = [];
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly secret: () => string,
  ) {}

  async post(event: { id: string; type: string }, url: string, timestamp?: number): Promise<{ status: number; body: string }> {
    const signed = signEvent(event, this.secret(), timestamp ?? Math.floor(this.clock.now().getTime() / 1000));
    let result: { status: number; body: string };
    try {
      const res = await fetch(url, { method: "POST", headers: signed.headers, body: signed.body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
      result = { status: res.status, body: await res.text() };
    } catch (err) {
      result = { status: 0, body: err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ""}` : String(err) };
    }
    this.deliveries.push({ eventId: event.id, type: event.type, url, status: result.status, at: this.clock.now() });
    const level = result.status >= 200 && result.status < 300 ? "info" : "warn";
    this.logger[level]({ eventId: event.id, type: event.type, url, status: result.status }, "webhook delivered");
    return result;
  }

  /** Queues events behind any still being delivered; resolves when these are done. */
  enqueue(events: { id: string; type: string }[], url: string | undefined): Promise<void> {
    if (!url || events.length === 0) return this.tail.then(() => undefined);
    const run = this.tail.then(async () => {
      for (const event of events) await this.post(event, url);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every queued delivery has been attempted. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

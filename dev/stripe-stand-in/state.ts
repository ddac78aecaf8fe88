import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import type { Clock } from "../../api/src/platform/clock.js";
import type {
  ChargeObject,
  LineItemObject,
  PaymentIntentObject,
  RefundObject,
  SessionObject,
  StandInEvent,
  WebhookEndpointObject,
} from "./types.js";

/** The version events are rendered in: the SDK's pinned one, as our webhook endpoint uses. */
export const STAND_IN_API_VERSION: string = Stripe.API_VERSION;

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Stripe-looking ids: a prefix and random base62 characters. */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return `${prefix}${out}`;
}

/** Which request caused an event (none for things that happen on Stripe's side, like expiry). */
export interface EventCause {
  requestId: string | null;
  idempotencyKey: string | null;
}

export const NO_REQUEST: EventCause = { requestId: null, idempotencyKey: null };

/**
 * Everything the stand-in knows, in memory. Endpoint logic and the payment flows change it
 * synchronously, so one request's changes and events are never interleaved with another's.
 */
export class StandInState {
  readonly sessions = new Map<string, SessionObject>();
  readonly lineItems = new Map<string, LineItemObject[]>();
  readonly paymentIntents = new Map<string, PaymentIntentObject>();
  readonly charges = new Map<string, ChargeObject>();
  readonly refunds = new Map<string, RefundObject>();
  readonly webhookEndpoints = new Map<string, WebhookEndpointObject>();
  /** `payment_intent_data` of each session, applied to the PaymentIntent made when it is paid. */
  readonly paymentIntentData = new Map<string, { metadata: Record<string, string>; description: string | null }>();
  /** Oldest first. */
  readonly events: StandInEvent[] = [];
  /** Set by `holdNextRefund()`: the next refund stays `pending` until settled or failed. */
  holdNextRefund = false;
  /** How many endpoints an event is sent to (reported as `pending_webhooks`). */
  webhookTargets = 0;

  constructor(readonly clock: Clock) {}

  /** Now in Unix seconds, Stripe's `created` unit. */
  now(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }

  /** Records an event with a snapshot of `object` as it is now. */
  emit(type: string, object: object, cause: EventCause = NO_REQUEST, previous?: Record<string, unknown>): StandInEvent {
    const event: StandInEvent = {
      id: newId("evt_"),
      object: "event",
      api_version: STAND_IN_API_VERSION,
      created: this.now(),
      data: { object: structuredClone(object), ...(previous ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: this.webhookTargets,
      request: { id: cause.requestId, idempotency_key: cause.idempotencyKey },
      type,
    };
    this.events.push(event);
    return event;
  }

  sessionOrUndefined(id: string): SessionObject | undefined {
    return this.sessions.get(id);
  }

  /** The charge of a PaymentIntent, the one refunds apply to. */
  chargeOfPaymentIntent(paymentIntentId: string): ChargeObject | undefined {
    const latest = this.paymentIntents.get(paymentIntentId)?.latest_charge;
    return latest ? this.charges.get(latest) : undefined;
  }

  refundsOfCharge(chargeId: string): RefundObject[] {
    // Newest first; among equal timestamps the later one first.
    return [...this.refunds.values()]
      .filter((r) => r.charge === chargeId)
      .reverse()
      .sort((a, b) => b.created - a.created);
  }
}

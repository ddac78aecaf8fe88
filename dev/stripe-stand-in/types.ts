import type Stripe from "stripe";

/**
 * The objects the stand-in keeps, in Stripe's shapes. Checkout Sessions carry every field of
 * the SDK's type; the others carry the fields a Checkout integration reads (a subset of the
 * SDK's types, same names and meanings).
 */

export type SessionObject = Stripe.Checkout.Session;
export type LineItemObject = Stripe.LineItem;

export interface PaymentIntentObject {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_capturable: number;
  amount_received: number;
  canceled_at: number | null;
  capture_method: "automatic_async";
  client_secret: string;
  confirmation_method: "automatic";
  created: number;
  currency: string;
  description: string | null;
  last_payment_error: { code: string; message: string; type: "card_error" | "invalid_request_error" } | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  payment_method: string | null;
  payment_method_types: string[];
  status: "requires_payment_method" | "processing" | "succeeded" | "canceled";
}

export interface RefundObject {
  id: string;
  object: "refund";
  amount: number;
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  failure_reason?: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: "duplicate" | "fraudulent" | "requested_by_customer" | null;
  receipt_number: null;
  status: "pending" | "succeeded" | "failed" | "canceled";
}

export interface ChargeObject {
  id: string;
  object: "charge";
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  balance_transaction: string | null;
  captured: boolean;
  created: number;
  currency: string;
  description: string | null;
  failure_code: string | null;
  failure_message: string | null;
  livemode: false;
  metadata: Record<string, string>;
  paid: boolean;
  payment_intent: string;
  payment_method: string;
  refunded: boolean;
  /** Stripe no longer includes this by default; the stand-in renders it on `charge.refunded`. */
  refunds?: ListObject<RefundObject>;
  status: "pending" | "succeeded" | "failed";
}

export interface WebhookEndpointObject {
  id: string;
  object: "webhook_endpoint";
  api_version: string | null;
  application: null;
  created: number;
  description: string | null;
  enabled_events: string[];
  livemode: false;
  metadata: Record<string, string>;
  secret?: string;
  status: "enabled" | "disabled";
  url: string;
}

export interface ListObject<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  url: string;
}

/** A Stripe event as delivered: the object is a snapshot taken when the event happened. */
export interface StandInEvent {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  data: { object: object; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface RecordedRequest {
  method: string;
  /** The path without its query string, e.g. `/v1/checkout/sessions`. */
  path: string;
  /** The parsed query string (GET parameters), nested like the body. */
  query: Record<string, unknown>;
  idempotencyKey?: string;
  /** The parsed form body, nested (`line_items[0][quantity]` → `body.line_items[0].quantity`); leaves are strings, as sent. */
  body: Record<string, unknown>;
  /** The body exactly as received (form-encoded for the SDK's POSTs), to compare attempts byte for byte. */
  rawBody: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** When it arrived, by the stand-in's clock. */
  at: Date;
}

export interface DeliveryRecord {
  eventId: string;
  type: string;
  url: string;
  /** The webhook's HTTP status; 0 when the connection failed. */
  status: number;
  at: Date;
}

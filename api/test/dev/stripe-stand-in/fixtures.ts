import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { ManualClock } from "../../../src/platform/clock.js";
import { startStripeStandIn, type StripeStandIn, type StripeStandInOptions } from "../../../../dev/stripe-stand-in/index.js";

export const API_KEY = "sk_test_standInSuiteKey0123456789";
export const WEBHOOK_SECRET = "whsec_standInSuiteSecret0123456789";
export const START = "2026-11-23T10:00:00.000Z";
export const startSeconds = () => Math.floor(new Date(START).getTime() / 1000);

export interface Harness {
  standIn: StripeStandIn;
  clock: ManualClock;
  /** The official SDK pointed at the stand-in. */
  stripe: Stripe;
  close(): Promise<void>;
}

export async function startHarness(options: { maxNetworkRetries?: number } & StripeStandInOptions = {}): Promise<Harness> {
  const clock = new ManualClock(START);
  const standIn = await startStripeStandIn({ webhookSecret: WEBHOOK_SECRET, clock, ...options });
  const stripe = sdkFor(standIn, options.maxNetworkRetries ?? 0);
  return { standIn, clock, stripe, close: () => standIn.close() };
}

export function sdkFor(standIn: StripeStandIn, maxNetworkRetries: number, key = API_KEY): Stripe {
  const target = new URL(standIn.url);
  return new Stripe(key, { host: target.hostname, port: Number(target.port), protocol: "http", maxNetworkRetries, telemetry: false });
}

/** Parameters of a typical order's session expiring an hour after `now` (Unix seconds); `overrides` replace top-level keys. */
export function sessionParams(overrides: Partial<Stripe.Checkout.SessionCreateParams> = {}, now = startSeconds()): Stripe.Checkout.SessionCreateParams {
  return {
    mode: "payment",
    line_items: [
      { price_data: { currency: "eur", unit_amount: 1999, product_data: { name: "Espresso cup", description: "Porcelain, 80 ml" } }, quantity: 2 },
      { price_data: { currency: "eur", unit_amount: 550, product_data: { name: "Coffee beans" } }, quantity: 1 },
    ],
    client_reference_id: "order-123",
    metadata: { orderId: "order-123" },
    success_url: "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
    cancel_url: "http://shop.test/checkout/cancel?order_id=order-123",
    expires_at: now + 60 * 60,
    ...overrides,
  };
}

/** A webhook receiver that keeps every request it got and answers with `status`. */
export interface Receiver {
  url: string;
  received: { headers: IncomingMessage["headers"]; body: string }[];
  status: number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: "", received: [], status: 200, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      receiver.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(receiver.status, { "content-type": "application/json" }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}

import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import request from "supertest";
import { startStripeStandIn, type StripeStandIn } from "../../../dev/stripe-stand-in/index.js";
import { ManualClock } from "../../src/platform/clock.js";
import type { AppContext } from "../../src/context.js";
import type { Product } from "../../src/generated/prisma/client.js";
import { setupTestApp, type TestApp } from "./app.js";
import { accessTokenFor, createUser } from "./auth.js";
import { TEST_SECRETS } from "./constants.js";

export interface PaymentsTestApp extends TestApp {
  stripe: StripeStandIn;
}

/** The real app and a Stripe stand-in it talks to through the official SDK. */
export async function setupPaymentsApp(
  options: { env?: Record<string, string | undefined>; name?: string } = {},
): Promise<PaymentsTestApp> {
  // One clock for both, so session expiry rules agree with the app's idea of now.
  const clock = new ManualClock(new Date());
  const stripe = await startStripeStandIn({ webhookSecret: TEST_SECRETS.webhookSecret, clock });
  const t = await setupTestApp({ name: options.name, env: { STRIPE_API_URL: stripe.url, ...options.env }, overrides: { clock } });
  return {
    ...t,
    stripe,
    async close() {
      await t.close();
      await stripe.close();
    },
  };
}

/** A product row; a unique sku per call. */
export async function createProduct(ctx: AppContext, data: Partial<Omit<Product, "id">> = {}): Promise<Product> {
  return ctx.prisma.product.create({
    data: {
      sku: `sku-${randomUUID().slice(0, 8)}`,
      name: "Test product",
      description: "A product for tests",
      unitAmount: 1999,
      currency: "eur",
      active: true,
      ...data,
    },
  });
}

/** A signed-in buyer: the user row and a Bearer header value. */
export async function createBuyer(ctx: AppContext, role: "USER" | "ADMIN" = "USER") {
  const { user } = await createUser(ctx, { role });
  return { user, auth: `Bearer ${accessTokenFor(ctx, user)}` };
}

export function postCheckout(t: TestApp, auth: string, items: unknown, idempotencyKey?: string) {
  const req = request(t.app).post("/payments/checkout-session").set("Authorization", auth);
  if (idempotencyKey !== undefined) req.set("Idempotency-Key", idempotencyKey);
  return req.send({ items });
}

/** Posts a Stripe event to the app's webhook, signed as Stripe would sign it. */
export function sendEvent(t: PaymentsTestApp, event: Stripe.Event | object, opts: { timestamp?: number; secret?: string } = {}) {
  const delivery = t.stripe.signedDelivery(event as Stripe.Event, {
    timestamp: opts.timestamp ?? Math.floor(t.clock.now().getTime() / 1000),
    ...(opts.secret ? { secret: opts.secret } : {}),
  });
  return request(t.app).post("/webhooks/stripe").set(delivery.headers).send(delivery.body);
}

/** Creates a checkout through the API; returns the order id and session id. */
export async function checkoutOne(t: PaymentsTestApp, auth: string, productId: string, quantity = 1) {
  const res = await postCheckout(t, auth, [{ productId, quantity }]);
  if (res.status !== 201) throw new Error(`checkout failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { orderId: string; sessionId: string; url: string; expiresAt: string };
}

export const countEvents = (ctx: AppContext, where: { orderId?: string; stripeEventId?: string } = {}) =>
  ctx.prisma.paymentEvent.count({ where });

/** The one event of `type` among those a stand-in flow emitted (it emits Stripe's whole sequence). */
export function eventOf<E extends { type: string }>(events: E[], type: string): E {
  const found = events.filter((e) => e.type === type);
  if (found.length !== 1) throw new Error(`expected one ${type} event, got ${found.length} of [${events.map((e) => e.type).join(", ")}]`);
  return found[0]!;
}

import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import { AppError } from "../errors.js";
import type { Logger } from "../logger.js";
import { callStripe } from "../stripe/stripe-client.js";
import {
  claimIdempotencyKey,
  dropIdempotencyKey,
  releaseIdempotencyKey,
  requestHash,
  type KeyRow,
} from "./idempotency.js";
import { insertPendingOrder, recordSession } from "./order-writes.js";
import { priceCart, type CartLine, type CatalogProduct, type PricedCart } from "./pricing.js";

export interface CheckoutResponse {
  orderId: string;
  sessionId: string;
  url: string;
  expiresAt: string;
}

export interface CheckoutResult {
  status: number;
  body: CheckoutResponse;
  replayed: boolean;
}

/** Stripe refuses a session that expires sooner than 30 minutes from creation. */
const STRIPE_MIN_SESSION_MS = 30 * 60 * 1000;
/** Margin for the request's own travel time to Stripe. */
const SAFETY_MS = 60 * 1000;

interface Attempt {
  id: string;
  status: string;
  checkoutParams: Stripe.Checkout.SessionCreateParams;
  checkoutExpiresAt: Date | null;
}

/**
 * Starts a payment: a `pending` Order priced from our catalogue is written first, then a
 * Checkout Session is created for it. The session parameters are built once per order
 * and stored; every retry sends exactly those with the Stripe idempotency key derived from
 * the order id, so one order can never get two sessions.
 */
export async function startCheckout(
  ctx: AppContext,
  input: { userId: string; lines: CartLine[]; idempotencyKey?: string },
  log: Logger,
): Promise<CheckoutResult> {
  const claim = input.idempotencyKey
    ? await claimIdempotencyKey(ctx, input.userId, input.idempotencyKey, requestHash(input.lines))
    : undefined;
  if (claim?.kind === "replay") return { status: claim.status, body: claim.body as CheckoutResponse, replayed: true };
  const key: KeyRow | undefined = claim?.row;

  let attempt: Attempt | undefined;
  try {
    attempt = key?.orderId ? await resumableAttempt(ctx, key.orderId, input.userId, log) : undefined;
    if (!attempt) {
      attempt = await createPendingOrder(ctx, input.userId, await loadAndPrice(ctx, input.lines), key);
      if (key) key.orderId = attempt.id;
    }
    const session = await createSession(ctx, attempt, log);
    const expiresAt = new Date(session.expires_at * 1000);
    const body: CheckoutResponse = { orderId: attempt.id, sessionId: session.id, url: session.url ?? "", expiresAt: expiresAt.toISOString() };
    if (!(await recordSession(ctx, { orderId: attempt.id, sessionId: session.id, url: session.url, expiresAt, key, status: 201, body }))) {
      // This request outlived its claim; the answer is still the order's one session.
      log.warn({ orderId: attempt.id }, "idempotency claim was taken over before completion");
    }
    ctx.metrics.checkoutCreated();
    log.info({ orderId: attempt.id, sessionId: session.id }, "checkout session created");
    return { status: 201, body, replayed: false };
  } catch (err) {
    if (err instanceof AppError && err.code === "PAYMENT_PROVIDER_ERROR" && attempt) {
      // Stripe answered this attempt with an error and keeps that answer for its key:
      // the attempt is spent. The client's retry starts a new order.
      await expireOrder(ctx, attempt.id);
      if (key) await releaseIdempotencyKey(ctx, key, { forgetOrder: true });
    } else if (key && !attempt && !key.orderId) {
      await dropIdempotencyKey(ctx, key);
    } else if (key) {
      await releaseIdempotencyKey(ctx, key);
    }
    throw err;
  }
}

async function loadAndPrice(ctx: AppContext, lines: CartLine[]): Promise<PricedCart> {
  const { rows } = await ctx.db.pool.query<CatalogProduct>(
    `SELECT "id", "name", "description", "unitAmount", "currency", "active" FROM "Product" WHERE "id" = ANY($1::uuid[])`,
    [[...new Set(lines.map((l) => l.productId))]],
  );
  return priceCart(lines, rows);
}

/** The order a claimed key already started, unless that attempt can no longer succeed. */
async function resumableAttempt(ctx: AppContext, orderId: string, userId: string, log: Logger): Promise<Attempt | undefined> {
  const order = await ctx.prisma.order.findFirst({ where: { id: orderId, userId } });
  if (!order || !order.checkoutParams) return undefined;
  const attempt = { ...order, checkoutParams: order.checkoutParams as unknown as Stripe.Checkout.SessionCreateParams };
  if (order.status !== "pending") return order.status === "expired" ? undefined : attempt;
  const left = (order.checkoutExpiresAt?.getTime() ?? 0) - ctx.clock.now().getTime();
  if (!order.stripeCheckoutSessionId && left < STRIPE_MIN_SESSION_MS + SAFETY_MS) {
    // Too close to its stored expires_at for Stripe to accept the same parameters.
    log.info({ orderId }, "checkout attempt too old to resume; starting a new order");
    await expireOrder(ctx, order.id);
    return undefined;
  }
  return attempt;
}

/**
 * The order, its lines (prices copied) and the key's link to it, in one statement. The id
 * is made here, so the stored session parameters can name the order they belong to.
 */
async function createPendingOrder(ctx: AppContext, userId: string, cart: PricedCart, key: KeyRow | undefined): Promise<Attempt> {
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + ctx.config.checkout.sessionTtlMinutes * 60_000);
  const id = randomUUID();
  const checkoutParams = sessionParams(ctx, id, cart, expiresAt);
  if (!(await insertPendingOrder(ctx, { id, userId, cart, expiresAt, checkoutParams, key }))) {
    // Another request took the key over while this one waited: nothing was written.
    throw new AppError("REQUEST_IN_PROGRESS", "A request with this Idempotency-Key is still in progress; retry shortly.");
  }
  return { id, status: "pending", checkoutParams, checkoutExpiresAt: expiresAt };
}

function sessionParams(ctx: AppContext, orderId: string, cart: PricedCart, expiresAt: Date): Stripe.Checkout.SessionCreateParams {
  const frontend = ctx.config.checkout.frontendUrl;
  return {
    mode: "payment",
    client_reference_id: orderId,
    metadata: { orderId },
    payment_intent_data: { metadata: { orderId } },
    line_items: cart.lines.map((line) => ({
      quantity: line.quantity,
      price_data: {
        currency: cart.currency,
        unit_amount: line.unitAmount,
        product_data: { name: line.name, ...(line.description ? { description: line.description } : {}), metadata: { productId: line.productId } },
      },
    })),
    success_url: `${frontend}/checkout/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${frontend}/checkout/cancel?order_id=${orderId}`,
    expires_at: Math.floor(expiresAt.getTime() / 1000),
  };
}

function createSession(ctx: AppContext, attempt: Attempt, log: Logger): Promise<Stripe.Checkout.Session> {
  return callStripe(ctx, log, "checkout.sessions.create", { orderId: attempt.id }, () =>
    ctx.stripe.checkout.sessions.create(attempt.checkoutParams, { idempotencyKey: `checkout-session-${attempt.id}` }),
  );
}

async function expireOrder(ctx: AppContext, orderId: string): Promise<void> {
  await ctx.prisma.order.updateMany({ where: { id: orderId, status: "pending" }, data: { status: "expired" } });
}

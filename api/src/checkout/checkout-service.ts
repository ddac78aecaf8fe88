import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import { AppError } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import { callStripe, stripeErrorAnswer } from "../platform/stripe/stripe-client.js";
import {
  claimIdempotencyKey,
  dropIdempotencyKey,
  releaseIdempotencyKey,
  requestHash,
  type KeyRow,
} from "./idempotency.js";
import { expireOrder, insertPendingOrder, recordSession } from "./order-writes.js";
import { priceCart, type CartLine, type PricedCart } from "./pricing.js";
import { parseSessionParams, sessionParamsText } from "./session-params.js";

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

type CheckoutInput = { userId: string; lines: CartLine[]; idempotencyKey?: string };

/** Stripe refuses a session that expires sooner than 30 minutes from creation. */
const STRIPE_MIN_SESSION_MS = 30 * 60 * 1000;
/** Margin for the request's own travel time to Stripe. */
const SAFETY_MS = 60 * 1000;

/** One order attempt: the order and the exact parameter text sent for it. */
interface Attempt {
  id: string;
  paramsText: string;
}

/**
 * Starts a payment: a `pending` Order priced from our catalogue is written first, then a
 * Checkout Session is created for it under the idempotency key derived from the order id, so
 * one order can never get two sessions. An attempt whose Stripe answer can no longer succeed
 * (an error Stripe replays, or a refusal) is spent: its order expires and the client's retry
 * with the same Idempotency-Key starts a new order. No answer, a 5xx that is not a replay, a
 * 409 or a 429 leave the attempt open: the retry resumes the same order.
 */
export async function startCheckout(ctx: AppContext, input: CheckoutInput, log: Logger): Promise<CheckoutResult> {
  const claim = input.idempotencyKey
    ? await claimIdempotencyKey(ctx, input.userId, input.idempotencyKey, requestHash(input.lines))
    : undefined;
  if (claim?.kind === "replay") return { status: claim.status, body: claim.body as CheckoutResponse, replayed: true };
  const key: KeyRow | undefined = claim?.row;

  let attempt: Attempt | undefined;
  try {
    const resumed = key?.orderId ? await resumableAttempt(ctx, key.orderId, input.userId, log) : undefined;
    attempt = resumed ?? (await newAttempt(ctx, input, key));
    let session: Stripe.Checkout.Session;
    try {
      session = await createSession(ctx, attempt, log);
    } catch (err) {
      // Stripe replays an error it saved for this attempt's key to an earlier request: the
      // attempt was spent before this request, which therefore starts the new one.
      if (!resumed || !(err instanceof AppError) || !stripeErrorAnswer(err).replayed) throw err;
      log.info({ orderId: attempt.id }, "checkout attempt spent at Stripe; starting a new order");
      await expireOrder(ctx, attempt.id);
      attempt = await newAttempt(ctx, input, key);
      session = await createSession(ctx, attempt, log);
    }
    const expiresAt = new Date(session.expires_at * 1000);
    const body: CheckoutResponse = { orderId: attempt.id, sessionId: session.id, url: session.url!, expiresAt: expiresAt.toISOString() };
    if (!(await recordSession(ctx, { orderId: attempt.id, sessionId: session.id, url: session.url, expiresAt, key, status: 201, body }))) {
      // This request outlived its claim; the answer is still the order's one session.
      log.warn({ orderId: attempt.id }, "idempotency claim was taken over before completion");
    }
    ctx.metrics.checkoutCreated();
    log.info({ orderId: attempt.id, sessionId: session.id }, "checkout session created");
    return { status: 201, body, replayed: false };
  } catch (err) {
    if (attempt && attemptSpent(err)) {
      // Stripe keeps this answer for the attempt's key: the order can never get a session.
      // The key stays linked to it, so the client's retry finds it expired and starts anew.
      await expireOrder(ctx, attempt.id);
      if (key) await releaseIdempotencyKey(ctx, key);
    } else if (key && !attempt && !key.orderId) {
      await dropIdempotencyKey(ctx, key);
    } else if (key) {
      await releaseIdempotencyKey(ctx, key);
    }
    throw err;
  }
}

/** An error Stripe replays under the attempt's key, or a refusal (a 4xx other than 409 and 429). */
function attemptSpent(err: unknown): boolean {
  return err instanceof AppError && (err.code === "PAYMENT_PROVIDER_ERROR" || stripeErrorAnswer(err).replayed);
}

async function loadAndPrice(ctx: AppContext, lines: CartLine[]): Promise<PricedCart> {
  const products = await ctx.prisma.product.findMany({
    where: { id: { in: [...new Set(lines.map((l) => l.productId))] } },
    select: { id: true, name: true, description: true, unitAmount: true, currency: true, active: true },
  });
  return priceCart(lines, products);
}

/** The order a claimed key already started, unless that attempt can no longer succeed. */
async function resumableAttempt(ctx: AppContext, orderId: string, userId: string, log: Logger): Promise<Attempt | undefined> {
  const order = await ctx.prisma.order.findFirst({
    where: { id: orderId, userId },
    select: { id: true, status: true, checkoutParamsText: true, checkoutParams: true, checkoutExpiresAt: true, stripeCheckoutSessionId: true },
  });
  // An order written before the parameters were stored as text has only their JSON copy.
  const paramsText = order?.checkoutParamsText ?? (order?.checkoutParams ? JSON.stringify(order.checkoutParams) : undefined);
  if (!order || !paramsText || order.status === "expired") return undefined;
  const attempt = { id: order.id, paramsText };
  if (order.status !== "pending" || order.stripeCheckoutSessionId) return attempt;
  const left = (order.checkoutExpiresAt?.getTime() ?? 0) - ctx.clock.now().getTime();
  if (left < STRIPE_MIN_SESSION_MS + SAFETY_MS) {
    // Too close to its stored expires_at for Stripe to accept the same parameters.
    log.info({ orderId }, "checkout attempt too old to resume; starting a new order");
    await expireOrder(ctx, order.id);
    return undefined;
  }
  return attempt;
}

/**
 * A new order attempt: the order, its lines and the key's link to it, written together. The
 * id is made here, so the stored session parameters can name the order they belong to.
 */
async function newAttempt(ctx: AppContext, input: CheckoutInput, key: KeyRow | undefined): Promise<Attempt> {
  const cart = await loadAndPrice(ctx, input.lines);
  const expiresAt = new Date(ctx.clock.now().getTime() + ctx.config.checkout.sessionTtlMinutes * 60_000);
  const id = randomUUID();
  const paramsText = sessionParamsText(ctx, id, cart, expiresAt);
  if (!(await insertPendingOrder(ctx, { id, userId: input.userId, cart, expiresAt, paramsText, key }))) {
    // Another request took the key over while this one waited: nothing was written.
    throw new AppError("REQUEST_IN_PROGRESS", "A request with this Idempotency-Key is still in progress; retry shortly.");
  }
  if (key) key.orderId = id;
  return { id, paramsText };
}

/** Sends the attempt's stored parameters; a session without `id` or `url` is useless to the buyer. */
function createSession(ctx: AppContext, attempt: Attempt, log: Logger): Promise<Stripe.Checkout.Session> {
  return callStripe(ctx, log, "checkout.sessions.create", { orderId: attempt.id }, async () => {
    const session = await ctx.stripe.checkout.sessions.create(parseSessionParams(attempt.paramsText), {
      idempotencyKey: `checkout-session-${attempt.id}`,
    });
    if (!session.id || !session.url) {
      log.error({ orderId: attempt.id, sessionId: session.id, hasUrl: Boolean(session.url) }, "stripe answered a checkout session without id or url");
      throw new AppError("PAYMENT_PROVIDER_ERROR", "The payment provider refused the request.");
    }
    return session;
  });
}

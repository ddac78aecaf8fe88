import type { AppContext } from "../context.js";
import { notFound } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import { presentOrder, type OrderView } from "../orders/order-view.js";
import { applySessionState } from "../payments/fulfilment.js";
import { callStripe } from "../platform/stripe/stripe-client.js";

/** The success page should not wait long: the stored order is a fine answer. */
const SYNC_DEADLINE_MS = 5_000;

/** A session read from Stripe this recently is not read again: the stored order is as fresh. */
export const SYNC_FRESH_MS = 3_000;
/** Bound on the remembered sessions, so the map cannot grow without end. */
const REMEMBERED_SESSIONS = 10_000;

/**
 * Stripe reads of this process: one in flight per session (concurrent callers share it), and
 * the time of the last one, by the injected clock. Stripe's rate limit is per account, so
 * a user polling or hammering the success page must not turn into a Stripe call each time.
 */
const inFlight = new Map<string, Promise<void>>();
const lastRead = new Map<string, number>();

function remember(sessionId: string, at: number): void {
  lastRead.delete(sessionId);
  lastRead.set(sessionId, at);
  // Maps iterate in insertion order: the first key is the oldest.
  if (lastRead.size > REMEMBERED_SESSIONS) lastRead.delete(lastRead.keys().next().value!);
}

/** Reads the session once for every concurrent caller, unless it was read moments ago. */
function readSessionOnce(ctx: AppContext, sessionId: string, read: () => Promise<void>): Promise<void> {
  const running = inFlight.get(sessionId);
  if (running) return running;
  const at = lastRead.get(sessionId);
  const now = ctx.clock.now().getTime();
  if (at !== undefined && now - at < SYNC_FRESH_MS) return Promise.resolve();
  const flight = read().finally(() => {
    inFlight.delete(sessionId);
    remember(sessionId, ctx.clock.now().getTime());
  });
  inFlight.set(sessionId, flight);
  return flight;
}

/**
 * For the success page, which a customer may reach before the webhook: while the order is
 * still pending or processing, the session is read from Stripe and applied through the
 * same fulfilment path as the webhook (safe to race it). Stripe unreachable → the stored order.
 */
export async function syncCheckoutSession(
  ctx: AppContext,
  input: { sessionId: string; userId: string },
  log: Logger,
): Promise<OrderView> {
  const where = { stripeCheckoutSessionId: input.sessionId, userId: input.userId };
  const order = await ctx.prisma.order.findFirst({ where, select: { id: true, status: true } });
  if (!order) throw notFound("No such checkout session.");

  if (order.status === "pending" || order.status === "processing") {
    await readSessionOnce(ctx, input.sessionId, async () => {
      try {
        const session = await callStripe(
          ctx,
          log,
          "checkout.sessions.retrieve",
          { orderId: order.id },
          () => ctx.stripe.checkout.sessions.retrieve(input.sessionId),
          Math.min(SYNC_DEADLINE_MS, ctx.config.stripe.deadlineMs),
        );
        const result = await applySessionState(ctx, session);
        if (result.outcome === "rejected") {
          log.error({ orderId: order.id, sessionId: input.sessionId }, "checkout session contradicts its order (amount, currency or expired order); refund or investigate");
        }
        if (result.next) log.info({ orderId: order.id, sessionId: input.sessionId, from: result.previous, to: result.next }, "order synced from checkout session");
      } catch (err) {
        log.warn({ orderId: order.id, sessionId: input.sessionId, err: { message: (err as Error).message } }, "checkout session sync failed; answering with the stored order");
      }
    });
  }
  const current = await ctx.prisma.order.findUniqueOrThrow({ where: { id: order.id }, include: { items: { orderBy: { id: "asc" } } } });
  return presentOrder(current);
}

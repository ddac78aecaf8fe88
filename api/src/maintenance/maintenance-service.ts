import pg from "pg";
import type { AppContext } from "../context.js";
import { pruneRefreshTokens } from "../auth/refresh-tokens.js";
import type { Logger } from "../logger.js";
import { applySessionState } from "../payments/fulfilment.js";
import { submitRefund } from "../refunds/refund-service.js";
import { callStripe } from "../stripe/stripe-client.js";

export interface MaintenanceSummary {
  ordersExpired: number;
  ordersSyncedFromStripe: number;
  ordersSkipped: number;
  refreshTokensPruned: number;
  idempotencyKeysPruned: number;
  paymentEventsScrubbed: number;
  refundsResolved: number;
}

/** A reservation this old got no answer from Stripe; ask again with the same key. */
const STALE_REFUND_MS = 10 * 60 * 1000;
/** Sessions are asked about only after Stripe itself must have expired them. */
const EXPIRY_GRACE_MS = 5 * 60 * 1000;

/** Our own advisory-lock key (Prisma's migration lock is 72707369). */
const MAINTENANCE_LOCK_KEY = 72707370;

/**
 * Idempotent housekeeping for a scheduler (`npm run maintenance`). Every step is
 * safe to repeat and to run while the API serves traffic; overlapping runs (a slow run and
 * the next cron tick, or two replicas) are excluded by an advisory lock held on the direct
 * connection (session state does not survive a transaction-mode pooler). Returns
 * undefined when another run holds the lock.
 */
export async function runMaintenance(ctx: AppContext, log: Logger = ctx.logger): Promise<MaintenanceSummary | undefined> {
  const lock = new pg.Client({ connectionString: ctx.config.database.directUrl, connectionTimeoutMillis: ctx.config.database.connectionTimeoutMs });
  await lock.connect();
  try {
    const { rows } = await lock.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [MAINTENANCE_LOCK_KEY]);
    if (!rows[0]?.locked) {
      log.warn("another maintenance run is in progress; skipping this one");
      return undefined;
    }
    return await runSteps(ctx, log);
  } finally {
    await lock.end(); // ends the session, which releases the lock
  }
}

async function runSteps(ctx: AppContext, log: Logger): Promise<MaintenanceSummary> {
  const now = ctx.clock.now();
  const orders = await settleAbandonedOrders(ctx, now, log);
  const summary: MaintenanceSummary = {
    ...orders,
    refreshTokensPruned: await pruneRefreshTokens(ctx.prisma, now),
    idempotencyKeysPruned: (await ctx.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } })).count,
    paymentEventsScrubbed: await scrubPaymentEvents(ctx, now),
    refundsResolved: await resolveStaleRefunds(ctx, now, log),
  };
  log.info(summary, "maintenance finished");
  return summary;
}

/**
 * Pending orders past their session's expiry. One with a session is settled from Stripe's
 * own view through the fulfilment path: its payment may have completed before expiry with
 * the webhook still on its way, and expiring it blindly would turn that payment into a
 * rejection. One that never got a session is simply expired.
 */
async function settleAbandonedOrders(ctx: AppContext, now: Date, log: Logger) {
  const cutoff = new Date(now.getTime() - EXPIRY_GRACE_MS);
  const ttlCutoff = new Date(now.getTime() - ctx.config.checkout.sessionTtlMinutes * 60_000 - EXPIRY_GRACE_MS);
  const withoutSession = await ctx.prisma.order.updateMany({
    where: {
      status: "pending",
      stripeCheckoutSessionId: null,
      OR: [{ checkoutExpiresAt: { lt: cutoff } }, { checkoutExpiresAt: null, createdAt: { lt: ttlCutoff } }],
    },
    data: { status: "expired", updatedAt: now },
  });
  let synced = 0;
  let skipped = 0;
  // Only `pending`: a `processing` order waits for its delayed method (days, for bank
  // debits), and its failure only ever arrives as an event. Least recently checked first,
  // and every checked order is touched, so orders Stripe cannot move (a rejected payment)
  // rotate to the back instead of starving the rest.
  const withSession = await ctx.prisma.order.findMany({
    where: { status: "pending", stripeCheckoutSessionId: { not: null }, checkoutExpiresAt: { lt: cutoff } },
    select: { id: true, stripeCheckoutSessionId: true },
    orderBy: { updatedAt: "asc" },
    take: 500,
  });
  for (const order of withSession) {
    try {
      const session = await callStripe(ctx, log, "checkout.sessions.retrieve", { orderId: order.id }, () =>
        ctx.stripe.checkout.sessions.retrieve(order.stripeCheckoutSessionId!),
      );
      const result = await applySessionState(ctx, session);
      if (result.next) synced += 1;
      else await ctx.prisma.order.updateMany({ where: { id: order.id, status: "pending" }, data: { updatedAt: now } });
      if (result.outcome === "rejected") log.error({ orderId: order.id }, "checkout session contradicts its order; refund or investigate");
    } catch {
      skipped += 1; // Stripe unreachable: try again on the next run.
    }
  }
  return { ordersExpired: withoutSession.count, ordersSyncedFromStripe: synced, ordersSkipped: skipped };
}

/**
 * Keeps what the ledger needs (ids, type, amounts, statuses) and drops everything else,
 * which is where personal data lives (customer details, emails, addresses, names).
 */
async function scrubPaymentEvents(ctx: AppContext, now: Date): Promise<number> {
  const before = new Date(now.getTime() - ctx.config.maintenance.paymentEventRetentionDays * 86_400_000);
  return ctx.prisma.$executeRaw`
    UPDATE "PaymentEvent" SET "payload" = jsonb_strip_nulls(jsonb_build_object(
      'id', "payload"->'id', 'type', "payload"->'type', 'created', "payload"->'created', 'scrubbed', true,
      'data', jsonb_build_object('object', jsonb_build_object(
        'id', "payload"#>'{data,object,id}', 'object', "payload"#>'{data,object,object}',
        'status', "payload"#>'{data,object,status}', 'payment_status', "payload"#>'{data,object,payment_status}',
        'amount', "payload"#>'{data,object,amount}', 'amount_total', "payload"#>'{data,object,amount_total}',
        'amount_refunded', "payload"#>'{data,object,amount_refunded}', 'currency', "payload"#>'{data,object,currency}',
        'payment_intent', "payload"#>'{data,object,payment_intent}', 'client_reference_id', "payload"#>'{data,object,client_reference_id}'))))
    WHERE "createdAt" < ${before} AND NOT ("payload" ? 'scrubbed')`;
}

async function resolveStaleRefunds(ctx: AppContext, now: Date, log: Logger): Promise<number> {
  const stale = await ctx.prisma.refund.findMany({
    where: { status: "pending", stripeRefundId: null, createdAt: { lt: new Date(now.getTime() - STALE_REFUND_MS) } },
    include: { order: { select: { stripePaymentIntentId: true } } },
    take: 100,
  });
  let resolved = 0;
  for (const refund of stale) {
    if (!refund.order.stripePaymentIntentId) continue;
    try {
      await submitRefund(ctx, { id: refund.id, orderId: refund.orderId, amount: refund.amount, paymentIntent: refund.order.stripePaymentIntentId }, log);
      resolved += 1;
    } catch {
      // Refused (now marked failed) or still unreachable (retried next run).
    }
  }
  return resolved;
}

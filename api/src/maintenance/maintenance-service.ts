import type { AppContext } from "../context.js";
import { pruneRefreshTokens } from "../auth/refresh-tokens.js";
import { withSessionLock } from "../platform/db/session-lock.js";
import type { Logger } from "../platform/logger.js";
import { applySessionState } from "../payments/fulfilment.js";
import { callStripe } from "../platform/stripe/stripe-client.js";
import { resolvePendingRefunds } from "./pending-refunds.js";

export interface MaintenanceSummary {
  ordersExpired: number;
  ordersSyncedFromStripe: number;
  ordersSkipped: number;
  refreshTokensPruned: number;
  idempotencyKeysPruned: number;
  paymentEventsScrubbed: number;
  /** Pending refunds whose Stripe status is now recorded (settled, resubmitted or refused). */
  refundsResolved: number;
  /** Pending refunds Stripe could not be asked about or gave no answer for; each waits longer before the next try. */
  refundsBackedOff: number;
  /** Refunds Stripe has no trace of, too old to resubmit safely: an operator must resolve them. */
  refundsNeedingOperator: number;
}

export interface MaintenanceOptions {
  /** At most this many orders and this many refunds are asked about per run (default 500). */
  batchSize?: number;
}

/** Sessions are asked about only after Stripe itself must have expired them. */
const EXPIRY_GRACE_MS = 5 * 60 * 1000;
const DEFAULT_BATCH_SIZE = 500;

/**
 * Idempotent housekeeping for a scheduler (`npm run maintenance`). Every step is safe to
 * repeat and to run while the API serves traffic; overlapping runs (a slow run and the next
 * cron tick, or two replicas) are excluded by a session lock (db/session-lock.ts). Returns
 * undefined when another run holds the lock.
 */
export async function runMaintenance(
  ctx: AppContext,
  log: Logger = ctx.logger,
  options: MaintenanceOptions = {},
): Promise<MaintenanceSummary | undefined> {
  const run = await withSessionLock(ctx.config.database, "maintenance", () => runSteps(ctx, log, options.batchSize ?? DEFAULT_BATCH_SIZE));
  if (run.acquired) return run.value;
  log.warn("another maintenance run is in progress; skipping this one");
  return undefined;
}

async function runSteps(ctx: AppContext, log: Logger, batchSize: number): Promise<MaintenanceSummary> {
  const now = ctx.clock.now();
  const orders = await settleAbandonedOrders(ctx, now, log, batchSize);
  const summary: MaintenanceSummary = {
    ...orders,
    refreshTokensPruned: await pruneRefreshTokens(ctx.prisma, now),
    idempotencyKeysPruned: (await ctx.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } })).count,
    paymentEventsScrubbed: await scrubPaymentEvents(ctx, now),
    ...(await resolvePendingRefunds(ctx, now, log, batchSize)),
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
async function settleAbandonedOrders(ctx: AppContext, now: Date, log: Logger, batchSize: number) {
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
  // and every checked order is touched, also when Stripe could not be asked, so orders
  // Stripe cannot move or answer for rotate to the back instead of starving the rest.
  const withSession = await ctx.prisma.order.findMany({
    where: { status: "pending", stripeCheckoutSessionId: { not: null }, checkoutExpiresAt: { lt: cutoff } },
    select: { id: true, stripeCheckoutSessionId: true },
    orderBy: { updatedAt: "asc" },
    take: batchSize,
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
      skipped += 1; // Stripe unreachable or refusing: try again after the rest.
      await ctx.prisma.order.updateMany({ where: { id: order.id, status: "pending" }, data: { updatedAt: now } });
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

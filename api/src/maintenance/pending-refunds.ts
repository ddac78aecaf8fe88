import type { AppContext } from "../context.js";
import type { Logger } from "../platform/logger.js";
import { countRefundsNeedingOperator, resolvePendingRefund } from "../refunds/refund-resolution.js";
import { RECHECK_PENDING_MS } from "../refunds/refund-submission.js";

/**
 * Every refund still `pending` is read again from Stripe, whether or not it has a Stripe
 * id: those due (an unknown outcome, or a back-off that ran out), and those nobody looked
 * at for an hour (Stripe said pending, or a process died mid-call, or an event recorded it
 * pending and its settling event never came). Due first, oldest first; a refund Stripe
 * cannot answer for backs off, so newer ones are always reached.
 */
export async function resolvePendingRefunds(ctx: AppContext, now: Date, log: Logger, batchSize: number) {
  const idleSince = new Date(now.getTime() - RECHECK_PENDING_MS);
  const due = await ctx.prisma.refund.findMany({
    where: {
      status: "pending",
      OR: [{ nextCheckAt: { lte: now } }, { nextCheckAt: null, createdAt: { lt: idleSince } }],
    },
    include: { order: { select: { stripePaymentIntentId: true } } },
    orderBy: [{ nextCheckAt: { sort: "asc", nulls: "first" } }, { createdAt: "asc" }],
    take: batchSize,
  });
  let resolved = 0;
  let backedOff = 0;
  for (const refund of due) {
    const paymentIntent = refund.order.stripePaymentIntentId;
    if (!paymentIntent) continue; // a refund row always belongs to a paid order
    const outcome = await resolvePendingRefund(ctx, refund, paymentIntent, log).catch((err: unknown) => {
      log.error({ err, refundId: refund.id }, "resolving a pending refund failed");
      return "unreadable" as const;
    });
    if (outcome === "settled" || outcome === "resubmitted" || outcome === "failed") resolved += 1;
    if (outcome === "unreadable" || outcome === "unknown") backedOff += 1;
  }
  // Counted every run, not only when looked at, so it stays raised until resolved.
  const refundsNeedingOperator = await countRefundsNeedingOperator(ctx.prisma, now);
  return { refundsResolved: resolved, refundsBackedOff: backedOff, refundsNeedingOperator };
}

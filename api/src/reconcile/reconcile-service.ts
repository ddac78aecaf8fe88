import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import type { Logger } from "../platform/logger.js";
import { HANDLED_EVENT_TYPES, processEvent } from "../webhooks/event-handlers.js";

/** Stripe retries a webhook for up to three days: the window reconciliation looks back over. */
export const DEFAULT_LOOKBACK_MS = 3 * 24 * 60 * 60 * 1000;

export interface ReconcileSummary {
  fetched: number;
  applied: number;
  alreadyPresent: number;
  ignored: number;
  rejected: number;
}

/**
 * Lists Stripe's events of the handled types since `since` and feeds each one the ledger
 * lacks through the webhook's own path, oldest first. Safe while webhooks arrive: the
 * ledger's unique event id decides who applies an event, and the loser sees a duplicate.
 */
export async function reconcile(ctx: AppContext, options: { since?: Date; log?: Logger } = {}): Promise<ReconcileSummary> {
  const log = options.log ?? ctx.logger;
  const since = options.since ?? new Date(ctx.clock.now().getTime() - DEFAULT_LOOKBACK_MS);
  const events: Stripe.Event[] = [];
  for await (const event of ctx.stripe.events.list({
    created: { gte: Math.floor(since.getTime() / 1000) },
    types: HANDLED_EVENT_TYPES,
    limit: 100,
  })) {
    events.push(event);
  }
  // Stripe lists newest first; apply in the order they happened.
  events.sort((a, b) => a.created - b.created);

  const summary: ReconcileSummary = { fetched: events.length, applied: 0, alreadyPresent: 0, ignored: 0, rejected: 0 };
  const known = await knownEventIds(ctx, events.map((e) => e.id));
  for (const event of events) {
    if (known.has(event.id)) {
      summary.alreadyPresent += 1;
      continue;
    }
    const result = await processEvent(ctx, event, JSON.stringify(event));
    if (result.outcome === "processed") summary.applied += 1;
    else if (result.outcome === "duplicate") summary.alreadyPresent += 1;
    else if (result.outcome === "rejected") summary.rejected += 1;
    else summary.ignored += 1;
    const line = { eventId: event.id, type: event.type, orderId: result.orderId, outcome: result.outcome, from: result.previous, to: result.next };
    if (result.outcome === "rejected") log.error(line, "reconciled event rejected: it contradicts the order; refund or investigate");
    else log.info(line, "reconciled event");
  }
  log.info({ since: since.toISOString(), ...summary }, "reconciliation finished");
  return summary;
}

async function knownEventIds(ctx: AppContext, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await ctx.prisma.paymentEvent.findMany({ where: { stripeEventId: { in: ids } }, select: { stripeEventId: true } });
  return new Set(rows.map((r) => r.stripeEventId));
}

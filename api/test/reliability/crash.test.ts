import pg from "pg";
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppProcess, type AppProcess } from "./support/app-process.js";
import { createBuyer, createProduct, metric } from "./support/fixtures.js";
import { attempt, inBatches } from "./support/http.js";
import {
  duplicateLedgerRows,
  halfWrites,
  insertPendingOrders,
  installTransitionAudit,
  ledgerHas,
  openWorld,
  processEnv,
  sessionEvent,
  transitions,
  webhookCall,
  type BulkOrder,
  type World,
} from "./support/world.js";

const KILL_AFTER_ACKNOWLEDGED = 150;
/** Orders whose rows the test keeps locked during the burst (fewer than the app's pool of 10). */
const HELD = 5;

type Final = "paid" | "failed" | "expired";

/** 400 orders, 500 distinct events: some orders get two (a delayed payment and its outcome). */
function plan(orders: BulkOrder[]): { events: Stripe.Event[]; expected: Map<string, Final> } {
  const events: Stripe.Event[] = [];
  const expected = new Map<string, Final>();
  orders.forEach((order, i) => {
    if (i < 250) {
      events.push(sessionEvent("checkout.session.completed", order, "paid"));
      expected.set(order.id, "paid");
    } else if (i < 300) {
      events.push(sessionEvent("checkout.session.completed", order, "unpaid"), sessionEvent("checkout.session.async_payment_succeeded", order, "paid"));
      expected.set(order.id, "paid");
    } else if (i < 350) {
      events.push(sessionEvent("checkout.session.completed", order, "unpaid"), sessionEvent("checkout.session.async_payment_failed", order, "unpaid"));
      expected.set(order.id, "failed");
    } else {
      events.push(sessionEvent("checkout.session.expired", order, "unpaid"));
      expected.set(order.id, "expired");
    }
  });
  return { events, expected };
}

/** A fixed shuffle, so a failure can be replayed; Stripe promises no order of delivery. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/*
 * kill -9 in the middle of a burst of 500 distinct webhook events, restart, and redeliver
 * every event as Stripe would (those that got 200 too): nothing lost, nothing applied twice.
 */
describe("crash during a webhook burst", () => {
  let world: World;
  let first: AppProcess;
  let second: AppProcess | undefined;
  let orders: BulkOrder[];

  beforeAll(async () => {
    world = await openWorld("crash");
    await installTransitionAudit(world.ctx);
    const buyer = await createBuyer(world.ctx);
    const product = await createProduct(world.ctx);
    orders = await insertPendingOrders(world.ctx, buyer.user.id, product.id, 400);
    first = await startAppProcess("crash-first", processEnv(world.databaseUrl, { LOG_LEVEL: "info" }));
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await world?.close();
  });

  it("when the server is killed with SIGKILL mid-burst and every event is redelivered after a restart, then 0 are lost, 0 applied twice, every order is in its right state", async () => {
    const { events, expected } = plan(orders);
    expect(events).toHaveLength(500);
    // The test holds the rows of 5 paid-group orders locked, so their events are certainly
    // still being processed when the kill comes (as under row contention); they go first.
    const held = new Set(orders.slice(0, HELD).map((o) => o.id));
    const heldEvents = events.filter((e) => held.has((e.data.object as { client_reference_id: string }).client_reference_id));
    const locker = new pg.Client({ connectionString: world.databaseUrl });
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query(`SELECT 1 FROM "Order" WHERE "id" = ANY($1::uuid[]) FOR UPDATE`, [[...held]]);
    let acknowledged = 0;

    const burst = await inBatches(
      [...heldEvents, ...shuffled(events.filter((e) => !heldEvents.includes(e)), 7)].map((event) => async () => {
        const reply = await attempt(first.url, webhookCall(event));
        if (reply.status === 200 && ++acknowledged === KILL_AFTER_ACKNOWLEDGED) first.kill("SIGKILL");
        return { event, reply };
      }),
      32,
    );
    expect((await first.exited).signal).toBe("SIGKILL");
    // The dead server's sessions still wait for the held rows; end them as the crash ended it.
    await locker.query(`SELECT pg_terminate_backend("pid") FROM pg_stat_activity WHERE "datname" = current_database() AND "wait_event_type" = 'Lock'`);
    await locker.query("ROLLBACK");
    await locker.end();

    const acked = burst.filter((b) => b.reply.status === 200).map((b) => b.event.id);
    const unanswered = burst.filter((b) => b.reply.status !== 200);
    // The kill really fell inside the burst: some events were answered, many were not.
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKNOWLEDGED);
    expect(unanswered.length).toBeGreaterThan(100);
    expect(unanswered.every((b) => b.reply.status === 0)).toBe(true);
    // A 200 is only sent once the event is committed: every acknowledged event survived the
    // kill, and none of the events held in processing was acknowledged.
    expect(burst.filter((b) => heldEvents.includes(b.event) && b.reply.status === 200)).toEqual([]);
    const ledgerAfterCrash = await ledgerHas(world.ctx, events.map((e) => e.id));
    expect(acked.filter((id) => !ledgerAfterCrash.has(id))).toEqual([]);
    expect(await halfWrites(world.ctx)).toEqual([]);

    second = await startAppProcess("crash-second", processEnv(world.databaseUrl, { LOG_LEVEL: "info" }));
    const redelivered = await inBatches(
      shuffled(events, 11).map((event) => () => attempt(second!.url, webhookCall(event))),
      16,
    );

    expect(redelivered.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
    // 0 lost: every event is in the ledger once, and every order reached its state.
    expect((await ledgerHas(world.ctx, events.map((e) => e.id))).size).toBe(500);
    expect(await duplicateLedgerRows(world.ctx)).toEqual([]);
    expect(await world.ctx.prisma.paymentEvent.count()).toBe(500);
    const finals = await world.ctx.prisma.order.findMany({ where: { id: { in: orders.map((o) => o.id) } }, select: { id: true, status: true } });
    const wrong = finals.filter((o) => o.status !== expected.get(o.id)).map((o) => `${o.id}: ${o.status}, expected ${expected.get(o.id)}`);
    expect(wrong).toEqual([]);
    // 0 applied twice: no order made the same move twice, and none made more moves than its events.
    const moves = await transitions(world.ctx);
    const perOrder = new Map<string, string[]>();
    for (const t of moves) perOrder.set(t.order_id, [...(perOrder.get(t.order_id) ?? []), `${t.from_status}->${t.to_status}`]);
    expect(perOrder.size).toBe(400);
    for (const [orderId, path] of perOrder) {
      expect(new Set(path).size, `${orderId}: ${path.join(", ")}`).toBe(path.length);
      expect(path.at(-1)?.endsWith(`->${expected.get(orderId)}`), `${orderId}: ${path.join(", ")}`).toBe(true);
    }
    // The restarted process applied exactly the events the first had not committed.
    const count = (outcome: string) =>
      Promise.all(["checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed", "checkout.session.expired"].map((type) => metric(second!, "webhook_events_total", { type, outcome }))).then((n) => n.reduce((a, b) => a + b, 0));
    expect(await count("duplicate")).toBe(ledgerAfterCrash.size);
    expect((await count("processed")) + (await count("ignored"))).toBe(500 - ledgerAfterCrash.size);
    expect(await halfWrites(world.ctx)).toEqual([]);
  });
});

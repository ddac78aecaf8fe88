import { PrismaPg } from "@prisma/adapter-pg";
import express from "express";
import pg from "pg";
import Stripe from "stripe";
import { Prisma, PrismaClient } from "../../api/src/generated/prisma/client.js";

/**
 * The smallest webhook handler within the service's own stack: an Express 5 router with
 * `express.raw`, `stripe.webhooks.constructEvent`, and one Prisma 7 interactive transaction
 * (`create` of the ledger row, a duplicate event id rolling it back, then `updateMany` of the
 * order from the allowed states). No logging, metrics or validation. The bench's "cost of our code" compares
 * the API's CPU per event with this process's. Started by bench/run.ts as its own process;
 * prints `listening <port>` when ready.
 *
 * Env: PORT, DATABASE_URL, WEBHOOK_SECRET, POOL_MAX (default 10).
 */

const secret = process.env.WEBHOOK_SECRET ?? "";
const stripe = new Stripe("sk_test_minimalBaseline");
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_MAX ?? 10) });
const prisma = new PrismaClient({ adapter: new PrismaPg(pool), transactionOptions: { maxWait: 10_000, timeout: 10_000 } });

type Session = { id: string; client_reference_id: string; payment_intent: string; amount_total: number; currency: string; payment_status: string };

async function apply(event: Stripe.Event, payload: string): Promise<void> {
  const session = event.data.object as unknown as Session;
  await prisma.$transaction(async (tx) => {
    await tx.paymentEvent.create({
      data: { stripeEventId: event.id, type: event.type, orderId: session.client_reference_id, outcome: "processed", payload: JSON.parse(payload) as object },
      select: { id: true },
    });
    await tx.order.updateMany({
      where: { id: session.client_reference_id, status: { in: ["pending", "processing"] }, amountTotal: session.amount_total, currency: session.currency },
      data: { status: "paid", paidAt: new Date(), stripeCheckoutSessionId: session.id, stripePaymentIntentId: session.payment_intent },
    });
  });
}

const app = express();
app.post("/webhooks/stripe", express.raw({ type: "*/*", limit: "1mb" }), async (req, res) => {
  let event: Stripe.Event;
  const payload = (req.body as Buffer).toString("utf8");
  try {
    event = stripe.webhooks.constructEvent(payload, req.header("stripe-signature") ?? "", secret);
  } catch {
    res.status(400).json({ error: "invalid signature" });
    return;
  }
  try {
    await apply(event, payload);
    res.json({ received: true });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
      res.json({ received: true, duplicate: true });
      return;
    }
    res.status(500).json({ error: "processing failed" });
  }
});

const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
server.keepAliveTimeout = 65_000;
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void prisma.$disconnect().then(() => process.exit(0));
});

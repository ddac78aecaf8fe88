import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import pg from "pg";

/**
 * The machine's limit for a webhook: bare `node:http` + `pg`, written as fast as we can.
 * It does the same work as the API per event (read the raw body, verify Stripe's
 * signature and tolerance, parse, insert the ledger row and move the order, in one
 * statement, i.e. one transaction and one round trip) and nothing else: no framework,
 * no logging, no metrics. Started by bench/run.ts as its own process.
 *
 * Env: PORT, DATABASE_URL, WEBHOOK_SECRET, POOL_MAX.
 */

const secret = process.env.WEBHOOK_SECRET ?? "";
const TOLERANCE_S = 300;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_MAX ?? 16) });

// The ledger row, and the order moved from pending/processing to paid only when the row is
// new (a redelivery changes nothing): the rows the API's fulfilment writes.
const SQL = `
WITH ins AS (
  INSERT INTO "PaymentEvent" ("stripeEventId", "type", "orderId", "outcome", "payload")
  VALUES ($1, $2, $3::uuid, 'processed', $4::jsonb)
  ON CONFLICT ("stripeEventId") DO NOTHING
  RETURNING 1
)
UPDATE "Order" SET "status" = 'paid', "paidAt" = now(), "updatedAt" = now(),
  "stripeCheckoutSessionId" = COALESCE("stripeCheckoutSessionId", $5),
  "stripePaymentIntentId" = COALESCE("stripePaymentIntentId", $6)
WHERE "id" = $3::uuid AND "status" IN ('pending', 'processing') AND "amountTotal" = $7 AND "currency" = $8
  AND EXISTS (SELECT 1 FROM ins)`;

function verified(body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  let t = "";
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const [k, v] = part.split("=");
    if (k === "t") t = v ?? "";
    else if (k === "v1" && v) v1.push(v);
  }
  if (!t || Math.abs(Date.now() / 1000 - Number(t)) > TOLERANCE_S) return false;
  const expected = createHmac("sha256", secret).update(`${t}.`).update(body).digest();
  return v1.some((sig) => {
    const given = Buffer.from(sig, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function answer(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/webhooks/stripe") return answer(res, 404, '{"error":"not found"}');
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks);
    const header = req.headers["stripe-signature"];
    if (!verified(raw, Array.isArray(header) ? header[0] : header)) return answer(res, 400, '{"error":"bad signature"}');
    const text = raw.toString("utf8");
    const event = JSON.parse(text) as { id: string; type: string; data: { object: Record<string, unknown> } };
    const s = event.data.object;
    // A named statement: parsed and planned once per connection (the API cannot, behind
    // PgBouncer's transaction pooling; it keeps its plan in a PL/pgSQL function instead).
    pool
      .query({ name: "apply-event", text: SQL, values: [event.id, event.type, s.client_reference_id, text, s.id, s.payment_intent, s.amount_total, s.currency] })
      .then(
        () => answer(res, 200, '{"received":true}'),
        () => answer(res, 500, '{"error":"database"}'),
      );
  });
});

server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
});

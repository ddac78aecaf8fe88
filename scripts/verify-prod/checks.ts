import { randomUUID } from "node:crypto";
import pg from "pg";
import type { StripeStandIn } from "../../dev/stripe-stand-in/index.js";
import { call, eventually, expectThat } from "./http.js";

export type Step = (name: string, run: () => Promise<void>) => Promise<void>;

const password = () => `Verify-Prod-${randomUUID()}`;

/** Registers and logs in a new user; optionally promotes it to ADMIN first (directly in the database). */
export async function signIn(baseUrl: string, databaseUrl: string, role: "USER" | "ADMIN" = "USER") {
  const email = `verify-${randomUUID().slice(0, 8)}@example.test`;
  const secret = password();
  const registered = await call(baseUrl, "POST", "/auth/register", { json: { email, password: secret } });
  expectThat(registered.status === 201, "POST /auth/register answers 201", registered);
  if (role === "ADMIN") await sql(databaseUrl, `UPDATE "User" SET role = 'ADMIN' WHERE email = $1`, [email]);
  const login = await call(baseUrl, "POST", "/auth/login", { json: { email, password: secret } });
  expectThat(login.status === 200 && typeof login.body.accessToken === "string", "POST /auth/login answers 200 with an access token", login);
  return { email, password: secret, auth: `Bearer ${login.body.accessToken as string}`, setCookie: login.headers.get("set-cookie") ?? "" };
}

export async function sql(databaseUrl: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** What must hold in production mode without any payment (creates nothing at Stripe). */
export async function productionChecks(step: Step, baseUrl: string, databaseUrl: string, metricsToken: string, version: string) {
  await step("GET /health answers ok", async () => {
    const res = await call(baseUrl, "GET", "/health");
    expectThat(res.status === 200 && res.body.status === "ok", "200 {status:ok}", res);
  });
  await step("GET /ready: database and migrations ok", async () => {
    const res = await call(baseUrl, "GET", "/ready");
    expectThat(res.status === 200 && JSON.stringify(res.body) === JSON.stringify({ status: "ready", checks: { database: "ok", migrations: "ok" } }), "ready", res);
  });
  await step("headers: X-Request-Id, nosniff, no X-Powered-By", async () => {
    const res = await call(baseUrl, "GET", "/health");
    expectThat(/^[\w-]{8,}$/.test(res.headers.get("x-request-id") ?? ""), "X-Request-Id present");
    expectThat(res.headers.get("x-content-type-options") === "nosniff", "X-Content-Type-Options: nosniff");
    expectThat(!res.headers.has("x-powered-by"), "no X-Powered-By");
  });
  await step("unknown route: 404 problem+json", async () => {
    const res = await call(baseUrl, "GET", `/no-such-route-${randomUUID()}`);
    expectThat(res.status === 404 && res.body.code === "NOT_FOUND", "404 NOT_FOUND", res);
    expectThat(res.headers.get("content-type")?.startsWith("application/problem+json"), "problem+json");
  });
  await step("CORS: a foreign origin gets no Access-Control-Allow-Origin", async () => {
    const res = await call(baseUrl, "OPTIONS", "/auth/login", { headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expectThat(!res.headers.has("access-control-allow-origin"), "no ACAO for a foreign origin", res);
  });
  await step("POST /webhooks/stripe without a signature: 400 INVALID_SIGNATURE", async () => {
    const res = await call(baseUrl, "POST", "/webhooks/stripe", { json: { id: "evt_unsigned", type: "checkout.session.completed" } });
    expectThat(res.status === 400 && res.body.code === "INVALID_SIGNATURE", "400 INVALID_SIGNATURE", res);
  });
  await step("register, login (Secure HttpOnly SameSite=Strict cookie), /auth/me", async () => {
    const user = await signIn(baseUrl, databaseUrl);
    expectThat(/;\s*Secure/i.test(user.setCookie) && /HttpOnly/i.test(user.setCookie) && /SameSite=Strict/i.test(user.setCookie), `refresh cookie flags in production: ${user.setCookie.replace(/=[^;]*/, "=…")}`);
    const me = await call(baseUrl, "GET", "/auth/me", { headers: { authorization: user.auth } });
    expectThat(me.status === 200 && (me.body.user as { email?: string })?.email === user.email, "GET /auth/me answers the user", me);
  });
  await step("GET /products answers a list", async () => {
    const res = await call(baseUrl, "GET", "/products");
    expectThat(res.status === 200 && Array.isArray(res.body.data), "200 {data:[]}", res);
  });
  await step("GET /metrics: 401 without the token, Prometheus text with it", async () => {
    const refused = await call(baseUrl, "GET", "/metrics");
    expectThat(refused.status === 401, "401 without METRICS_TOKEN", refused);
    const res = await call(baseUrl, "GET", "/metrics", { headers: { authorization: `Bearer ${metricsToken}` } });
    expectThat(res.status === 200 && res.text.includes("http_request_duration_seconds_bucket"), "200 with the histogram", res);
  });
  await step("GET /admin/metrics: 403 for a user, counters and APP_VERSION for an admin", async () => {
    const user = await signIn(baseUrl, databaseUrl);
    const forbidden = await call(baseUrl, "GET", "/admin/metrics", { headers: { authorization: user.auth } });
    expectThat(forbidden.status === 403, "403 for a plain user", forbidden);
    const admin = await signIn(baseUrl, databaseUrl, "ADMIN");
    const res = await call(baseUrl, "GET", "/admin/metrics", { headers: { authorization: admin.auth } });
    expectThat(res.status === 200 && (res.body.runtime as { version?: string })?.version === version, "200 with runtime.version", res);
  });
}

/** After `node dist/jobs/seed.js` in production: the file's products only, and a working admin. */
export async function seededChecks(step: Step, baseUrl: string, email: string, adminPassword: string, productNames: string[]) {
  await step("seeded: GET /products lists exactly the CATALOG_FILE products (no demo data in production)", async () => {
    const res = await call(baseUrl, "GET", "/products");
    const names = (res.body.data as { name: string }[]).map((p) => p.name).sort();
    expectThat(JSON.stringify(names) === JSON.stringify([...productNames].sort()), `products ${JSON.stringify(names)}`, res);
  });
  await step("seeded: the ADMIN_EMAIL admin logs in and reads /admin/metrics", async () => {
    const login = await call(baseUrl, "POST", "/auth/login", { json: { email, password: adminPassword } });
    expectThat(login.status === 200, "admin login 200", login);
    const res = await call(baseUrl, "GET", "/admin/metrics", { headers: { authorization: `Bearer ${login.body.accessToken as string}` } });
    expectThat(res.status === 200, "200 /admin/metrics", res);
  });
}

/** One payment end to end through the stand-in: checkout, paid by webhook, refunded by an admin. */
export async function paymentChecks(step: Step, baseUrl: string, databaseUrl: string, stripe: StripeStandIn) {
  const [product] = await sql(
    databaseUrl,
    `INSERT INTO "Product" (sku, name, description, "unitAmount", currency, active, "updatedAt") VALUES ($1, 'Verify mug', 'verify:prod', 1500, 'eur', true, now()) RETURNING id`,
    [`verify-${randomUUID().slice(0, 8)}`],
  );
  const buyer = await signIn(baseUrl, databaseUrl);
  let orderId = "";
  let sessionId = "";
  const order = async () => (await call(baseUrl, "GET", `/orders/${orderId}`, { headers: { authorization: buyer.auth } })).body.order as { status: string; refundedAmount: number };

  await step("POST /payments/checkout-session creates a Stripe session", async () => {
    const res = await call(baseUrl, "POST", "/payments/checkout-session", {
      json: { items: [{ productId: product!.id, quantity: 2 }] },
      headers: { authorization: buyer.auth, "idempotency-key": randomUUID() },
    });
    expectThat(res.status === 201 && typeof res.body.url === "string", "201 {orderId, sessionId, url}", res);
    orderId = res.body.orderId as string;
    sessionId = res.body.sessionId as string;
  });
  await step("the signed checkout.session.completed webhook marks the order paid", async () => {
    await stripe.completeSession(sessionId, "paid");
    await stripe.deliveriesSettled();
    await eventually("order paid", async () => (await order()).status === "paid");
  });
  await step("GET /payments/checkout-session/:id shows the paid order to its owner", async () => {
    const res = await call(baseUrl, "GET", `/payments/checkout-session/${sessionId}`, { headers: { authorization: buyer.auth } });
    expectThat(res.status === 200 && (res.body.order as { status?: string })?.status === "paid", "200 paid", res);
  });
  await step("an admin refund moves the order to refunded", async () => {
    const admin = await signIn(baseUrl, databaseUrl, "ADMIN");
    const res = await call(baseUrl, "POST", `/admin/orders/${orderId}/refunds`, { json: {}, headers: { authorization: admin.auth } });
    expectThat(res.status === 201, "201 refund", res);
    await stripe.deliveriesSettled();
    await eventually("order refunded", async () => {
      const current = await order();
      return current.status === "refunded" && current.refundedAmount === 3000;
    });
    const metrics = await call(baseUrl, "GET", "/admin/metrics", { headers: { authorization: admin.auth } });
    const webhook = metrics.body.webhook as { processed: number; errors: number };
    expectThat(webhook.processed >= 1 && webhook.errors === 0, "webhooks processed without errors", metrics);
  });
}

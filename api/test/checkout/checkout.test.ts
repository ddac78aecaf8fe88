import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import request from "supertest";
import type { Product } from "../../src/generated/prisma/client.js";
import { createBuyer, createProduct, postCheckout, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

let t: PaymentsTestApp;
let book: Product;
let mug: Product;

beforeAll(async () => {
  t = await setupPaymentsApp({ name: "checkout" });
  book = await createProduct(t.ctx, { name: "Book", unitAmount: 2500, currency: "eur" });
  mug = await createProduct(t.ctx, { name: "Mug", unitAmount: 900, currency: "eur", description: "" });
});
afterAll(() => t.close());
beforeEach(() => t.stripe.clearFaults());

const sessionCreates = () => t.stripe.requests.filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions");

describe("POST /payments/checkout-session", () => {
  it("when a buyer checks out, then one pending order and one session priced from our database exist", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    const before = sessionCreates().length;

    const res = await postCheckout(t, auth, [
      { productId: book.id, quantity: 2 },
      { productId: mug.id, quantity: 1 },
    ]);

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ orderId: expect.any(String), sessionId: expect.stringMatching(/^cs_/), url: expect.any(String), expiresAt: expect.any(String) });
    const order = await t.ctx.prisma.order.findUniqueOrThrow({ where: { id: res.body.orderId }, include: { items: true } });
    expect(order).toMatchObject({ userId: user.id, status: "pending", amountTotal: 2 * 2500 + 900, currency: "eur", stripeCheckoutSessionId: res.body.sessionId });
    expect(order.items.map((i) => [i.productId, i.quantity, i.unitAmount]).sort()).toEqual([[book.id, 2, 2500], [mug.id, 1, 900]].sort());
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(1);

    const sent = sessionCreates().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.idempotencyKey).toBe(`checkout-session-${order.id}`);
    expect(sent[0]!.body).toMatchObject({
      mode: "payment",
      client_reference_id: order.id,
      metadata: { orderId: order.id },
      success_url: "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
      cancel_url: `http://shop.test/checkout/cancel?order_id=${order.id}`,
    });
    const amounts = (sent[0]!.body as { line_items: { price_data: { unit_amount: string } }[] }).line_items.map((l) => Number(l.price_data.unit_amount));
    expect(amounts.sort((a, b) => a - b)).toEqual([900, 2500]);
    // expires_at = now + CHECKOUT_SESSION_TTL_MINUTES (60), from the injected clock
    const expiresAt = Number((sent[0]!.body as { expires_at: string }).expires_at);
    expect(expiresAt).toBe(Math.floor(t.clock.now().getTime() / 1000) + 3600);
    expect(new Date(res.body.expiresAt).getTime()).toBe(expiresAt * 1000);
  });

  it("when the client sends a price or an amount, then 400 and nothing is written", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    const withPrice = await postCheckout(t, auth, [{ productId: book.id, quantity: 1, unitAmount: 1 }]);
    expect(withPrice.status).toBe(400);
    expect(withPrice.body.code).toBe("VALIDATION_FAILED");
    expect(withPrice.body.errors).toHaveProperty(["items.0.unitAmount"]);

    const withAmount = await request(t.app).post("/payments/checkout-session").set("Authorization", auth).send({ items: [{ productId: book.id, quantity: 1 }], amount: 1 });
    expect(withAmount.status).toBe(400);
    expect(withAmount.body.errors).toHaveProperty("amount");
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(0);
  });

  it("when quantities or lines are out of bounds, then 400 with the field named", async () => {
    const { auth } = await createBuyer(t.ctx);
    for (const items of [[], [{ productId: book.id, quantity: 0 }], [{ productId: book.id, quantity: 100 }], [{ productId: "not-a-uuid", quantity: 1 }], Array.from({ length: 21 }, () => ({ productId: book.id, quantity: 1 }))]) {
      const res = await postCheckout(t, auth, items);
      expect(res.status, JSON.stringify(items).slice(0, 80)).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
  });

  it("when a product is unknown or inactive, then 404 and nothing is written", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    const inactive = await createProduct(t.ctx, { active: false });
    const before = sessionCreates().length;
    expect((await postCheckout(t, auth, [{ productId: "00000000-0000-4000-8000-000000000000", quantity: 1 }])).status).toBe(404);
    expect((await postCheckout(t, auth, [{ productId: inactive.id, quantity: 1 }])).status).toBe(404);
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(0);
    expect(sessionCreates().length).toBe(before);
  });

  it("when the cart mixes currencies or exceeds Stripe's limits, then 400 before any Stripe call", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    const dollars = await createProduct(t.ctx, { currency: "usd", unitAmount: 1000 });
    const huge = await createProduct(t.ctx, { unitAmount: 99_999_999 });
    const before = sessionCreates().length;
    const mixed = await postCheckout(t, auth, [{ productId: book.id, quantity: 1 }, { productId: dollars.id, quantity: 1 }]);
    expect(mixed.status).toBe(400);
    expect(mixed.body.code).toBe("MIXED_CURRENCIES");
    const tooMuch = await postCheckout(t, auth, [{ productId: huge.id, quantity: 2 }]);
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.code).toBe("AMOUNT_OUT_OF_RANGE");
    expect(sessionCreates().length).toBe(before);
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(0);
  });

  it("when no token is sent, then 401", async () => {
    const res = await postCheckout(t, "Bearer nope", [{ productId: book.id, quantity: 1 }]);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("UNAUTHENTICATED");
  });

  it("when the Idempotency-Key is not printable, then 400", async () => {
    const { auth } = await createBuyer(t.ctx);
    const res = await postCheckout(t, auth, [{ productId: book.id, quantity: 1 }], "x".repeat(256));
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty("Idempotency-Key");
  });
});

describe("Idempotency-Key", () => {
  it("when the same key and body come twice, then the first answer is replayed and one order exists", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    const items = [{ productId: book.id, quantity: 1 }];
    const first = await postCheckout(t, auth, items, "key-replay-1");
    const second = await postCheckout(t, auth, items, "key-replay-1");
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(1);
  });

  it("when the same key comes with a different body, then 409 IDEMPOTENCY_KEY_REUSED", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    await postCheckout(t, auth, [{ productId: book.id, quantity: 1 }], "key-reuse");
    const res = await postCheckout(t, auth, [{ productId: book.id, quantity: 2 }], "key-reuse");
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(1);
  });

  it("when two users use the same key, then each gets their own order", async () => {
    const a = await createBuyer(t.ctx);
    const b = await createBuyer(t.ctx);
    const ra = await postCheckout(t, a.auth, [{ productId: book.id, quantity: 1 }], "shared-key");
    const rb = await postCheckout(t, b.auth, [{ productId: book.id, quantity: 1 }], "shared-key");
    expect(ra.status).toBe(201);
    expect(rb.status).toBe(201);
    expect(ra.body.orderId).not.toBe(rb.body.orderId);
  });

  it("when five requests with one key run in parallel, then one order and one session exist", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    const before = sessionCreates().length;
    const items = [{ productId: mug.id, quantity: 3 }];
    const answers = await Promise.all(Array.from({ length: 5 }, () => postCheckout(t, auth, items, "key-parallel")));
    for (const res of answers) expect([201, 409]).toContain(res.status);
    const ok = answers.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.body.orderId)).size).toBe(1);
    for (const res of answers.filter((r) => r.status === 409)) expect(res.body.code).toBe("REQUEST_IN_PROGRESS");
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(1);
    expect(sessionCreates().length - before).toBe(1);
  });
});

describe("Idempotency-Key claims", () => {
  it("when a live request holds the key, then a retry gets 409 REQUEST_IN_PROGRESS; when the holder died, then a retry takes over the same order", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    const items = [{ productId: book.id, quantity: 1 }];
    t.stripe.injectFault({ path: "/v1/checkout/sessions", method: "POST", status: 500, times: 1 });
    expect((await postCheckout(t, auth, items, "key-crash")).status).toBe(502);
    const [order] = await t.ctx.prisma.order.findMany({ where: { userId: user.id } });
    // Another process holds the claim (its lock runs a minute from now)...
    await t.ctx.prisma.idempotencyKey.updateMany({ where: { userId: user.id, key: "key-crash" }, data: { lockedUntil: new Date(t.clock.now().getTime() + 60_000) } });
    const busy = await postCheckout(t, auth, items, "key-crash");
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe("REQUEST_IN_PROGRESS");
    // ...and dies: after its lock lapses, the retry resumes the same order.
    t.clock.advance(61_000);
    const resumed = await postCheckout(t, auth, items, "key-crash");
    expect(resumed.status).toBe(201);
    expect(resumed.body.orderId).toBe(order!.id);
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(1);
  });

  it("when a holder outlives its claim and another request took over, then the old holder's writes change nothing", async () => {
    const { claimIdempotencyKey } = await import("../../src/checkout/idempotency.js");
    const { insertPendingOrder, recordSession } = await import("../../src/checkout/order-writes.js");
    const { user } = await createBuyer(t.ctx);
    const first = await claimIdempotencyKey(t.ctx, user.id, "fenced", "hash");
    expect(first.kind).toBe("owned");
    t.clock.advance(61_000);
    const second = await claimIdempotencyKey(t.ctx, user.id, "fenced", "hash");
    expect(second.kind).toBe("owned");
    if (first.kind !== "owned" || second.kind !== "owned") return;
    expect(second.row.claimToken).not.toBe(first.row.claimToken);

    const orderId = "00000000-0000-4000-8000-000000000001";
    const session = { orderId, sessionId: "cs_test_fenced", url: null, expiresAt: new Date(), status: 201 };
    expect(await recordSession(t.ctx, { ...session, key: first.row, body: { stale: true } })).toBe(false);
    const cart = { currency: "eur", amountTotal: 1000, lines: [{ productId: book.id, name: "Book", description: "", quantity: 1, unitAmount: 1000 }] };
    expect(await insertPendingOrder(t.ctx, { id: orderId, userId: user.id, cart, expiresAt: new Date(), paramsText: "{}", key: first.row })).toBe(false);
    expect(await t.ctx.prisma.order.count({ where: { id: orderId } })).toBe(0);
    const row = await t.ctx.prisma.idempotencyKey.findFirstOrThrow({ where: { userId: user.id, key: "fenced" } });
    expect(row).toMatchObject({ state: "in_progress", orderId: null, responseBody: null });
    expect(await recordSession(t.ctx, { ...session, key: second.row, body: { fresh: true } })).toBe(true);
  });
});

describe("when Stripe fails", () => {
  it("when Stripe is down, then 502 and a retry with the same key later completes the same order", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    t.stripe.injectFault({ path: "/v1/checkout/sessions", method: "POST", status: 500, times: 10 });
    const items = [{ productId: book.id, quantity: 1 }];

    const failed = await postCheckout(t, auth, items, "key-outage");
    expect(failed.status).toBe(502);
    expect(failed.body.code).toBe("PAYMENT_PROVIDER_UNAVAILABLE");
    const pending = await t.ctx.prisma.order.findMany({ where: { userId: user.id } });
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ status: "pending", stripeCheckoutSessionId: null });

    t.stripe.clearFaults();
    const retried = await postCheckout(t, auth, items, "key-outage");
    expect(retried.status).toBe(201);
    expect(retried.body.orderId).toBe(pending[0]!.id);
    expect(await t.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(1);
    const keys = new Set(sessionCreates().filter((r) => (r.body as { client_reference_id?: string }).client_reference_id === pending[0]!.id).map((r) => r.idempotencyKey));
    expect([...keys]).toEqual([`checkout-session-${pending[0]!.id}`]);
  });

  it("when Stripe refuses the request (4xx), then 502 PAYMENT_PROVIDER_ERROR, the attempt is spent and a retry starts a new order", async () => {
    const { user, auth } = await createBuyer(t.ctx);
    t.stripe.injectFault({ path: "/v1/checkout/sessions", method: "POST", status: 400, times: 1 });
    const items = [{ productId: book.id, quantity: 1 }];
    const refused = await postCheckout(t, auth, items, "key-refused");
    expect(refused.status).toBe(502);
    expect(refused.body.code).toBe("PAYMENT_PROVIDER_ERROR");
    expect(refused.body.detail).not.toMatch(/stripe|param|invalid_request/i);
    expect(t.logs.find((l) => l.level === "error" && l.msg === "stripe refused our request").length).toBeGreaterThan(0);
    const [spent] = await t.ctx.prisma.order.findMany({ where: { userId: user.id } });
    expect(spent!.status).toBe("expired");

    const retried = await postCheckout(t, auth, items, "key-refused");
    expect(retried.status).toBe(201);
    expect(retried.body.orderId).not.toBe(spent!.id);
  });
});

describe("when Stripe fails once and the SDK retries", () => {
  let r: PaymentsTestApp;
  beforeAll(async () => {
    r = await setupPaymentsApp({ name: "checkout-retry", env: { STRIPE_MAX_NETWORK_RETRIES: "2" } });
  });
  afterAll(() => r.close());

  it("when the first attempt gets a 500, then the retry succeeds with one session and one idempotency key", async () => {
    const product = await createProduct(r.ctx);
    const { auth } = await createBuyer(r.ctx);
    r.stripe.injectFault({ path: "/v1/checkout/sessions", method: "POST", status: 500, times: 1 });
    const res = await postCheckout(r, auth, [{ productId: product.id, quantity: 1 }]);
    expect(res.status).toBe(201);
    const attempts = r.stripe.requests.filter((q) => q.method === "POST" && q.path === "/v1/checkout/sessions");
    expect(attempts).toHaveLength(2);
    expect(new Set(attempts.map((a) => a.idempotencyKey))).toEqual(new Set([`checkout-session-${res.body.orderId}`]));
    expect(r.stripe.sessions.size).toBe(1);
  });
});

describe("per-user rate limit", () => {
  let r: PaymentsTestApp;
  beforeAll(async () => {
    r = await setupPaymentsApp({ name: "checkout-limit", env: { CHECKOUT_RATE_LIMIT: "2" } });
  });
  afterAll(() => r.close());

  it("when a user exceeds CHECKOUT_RATE_LIMIT per minute, then 429 with Retry-After, and a minute later it works again", async () => {
    const product = await createProduct(r.ctx);
    const { auth } = await createBuyer(r.ctx);
    const other = await createBuyer(r.ctx);
    const items = [{ productId: product.id, quantity: 1 }];
    expect((await postCheckout(r, auth, items)).status).toBe(201);
    expect((await postCheckout(r, auth, items)).status).toBe(201);
    const limited = await postCheckout(r, auth, items);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe("RATE_LIMITED");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect((await postCheckout(r, other.auth, items)).status).toBe(201);
    r.clock.advance(61_000);
    expect((await postCheckout(r, auth, items)).status).toBe(201);
  });
});

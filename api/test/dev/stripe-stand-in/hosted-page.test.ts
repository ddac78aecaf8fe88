import { spawn } from "node:child_process";
import { createServer } from "node:net";
import type Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sessionParams, startHarness, startReceiver, type Harness, type Receiver } from "./fixtures.js";

let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startHarness({ delayedSettlementMs: 0 });
  receiver = await startReceiver();
  h.standIn.setWebhookUrl(receiver.url);
});
afterEach(() => {
  receiver.received.length = 0;
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

const nowSeconds = () => Math.floor(h.clock.now().getTime() / 1000);
const params = (overrides: Partial<Stripe.Checkout.SessionCreateParams> = {}) => sessionParams(overrides, nowSeconds());
const choose = (url: string, action: string) =>
  fetch(url, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ action }) });
const receivedTypes = () => receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type);

describe("GET /c/pay/:id", () => {
  it("when an open session's page is opened, then it shows every line, the total and the four choices", async () => {
    const session = await h.stripe.checkout.sessions.create(
      params({ line_items: [{ price_data: { currency: "eur", unit_amount: 1999, product_data: { name: "Cup <b>big</b>" } }, quantity: 2 }] }),
    );

    const res = await fetch(session.url!);
    const html = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html).toContain("Cup &lt;b&gt;big&lt;/b&gt;");
    expect(html).toContain("Qty 2 × €19.99");
    expect(html).toMatch(/data-testid="total">€39\.98</);
    for (const label of [">Pay<", ">Pay by delayed method → succeeds<", ">Pay by delayed method → fails<", ">Cancel and return<"]) expect(html).toContain(label);
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)[^"]*\.(css|js)/);
  });

  it("when the session is unknown, then 404", async () => {
    expect((await fetch(`${h.standIn.url}/c/pay/cs_test_unknown`)).status).toBe(404);
  });
});

describe("POST /c/pay/:id", () => {
  it("when the buyer pays, then the session is paid, Stripe's events are delivered in order and the browser goes to the success URL", async () => {
    const session = await h.stripe.checkout.sessions.create(params());

    const res = await choose(session.url!, "pay");
    await h.standIn.deliveriesSettled();

    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`http://shop.test/checkout/success?session_id=${session.id}`);
    expect(h.standIn.sessions.get(session.id)).toMatchObject({ status: "complete", payment_status: "paid" });
    expect(receivedTypes()).toEqual(["payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"]);
  });

  it("when the buyer pays by a delayed method that fails, then completed (unpaid) comes first and async_payment_failed follows", async () => {
    const session = await h.stripe.checkout.sessions.create(params());

    const res = await choose(session.url!, "delayed_failure");

    expect(res.status).toBe(303);
    await vi.waitFor(() => expect(receivedTypes()).toContain("checkout.session.async_payment_failed"));
    const types = receivedTypes();
    expect(types.indexOf("checkout.session.completed")).toBeLessThan(types.indexOf("checkout.session.async_payment_failed"));
    expect(h.standIn.sessions.get(session.id)).toMatchObject({ status: "complete", payment_status: "unpaid" });
  });

  it("when the buyer pays by a delayed method that succeeds, then the session ends paid", async () => {
    const session = await h.stripe.checkout.sessions.create(params());
    await choose(session.url!, "delayed_success");
    await vi.waitFor(() => expect(h.standIn.sessions.get(session.id)!.payment_status).toBe("paid"));
    await h.standIn.deliveriesSettled();
    expect(receivedTypes().at(-1)).toBe("checkout.session.async_payment_succeeded");
  });

  it("when the buyer cancels, then the browser goes to the cancel URL and the session stays open with no events", async () => {
    const session = await h.stripe.checkout.sessions.create(params());
    const eventsBefore = h.standIn.events.length;

    const res = await choose(session.url!, "cancel");

    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("http://shop.test/checkout/cancel?order_id=order-123");
    expect(h.standIn.sessions.get(session.id)!.status).toBe("open");
    expect(h.standIn.events).toHaveLength(eventsBefore);
  });

  it("when a paid or expired session's page is used again, then nothing is charged twice", async () => {
    const paid = await h.stripe.checkout.sessions.create(params());
    await choose(paid.url!, "pay");
    const eventsAfterFirst = h.standIn.events.length;
    const again = await choose(paid.url!, "pay");
    expect(again.status).toBe(200);
    expect(await again.text()).toContain("Already paid");
    expect(h.standIn.events).toHaveLength(eventsAfterFirst);

    const stale = await h.stripe.checkout.sessions.create(params());
    const pageUrl = stale.url!;
    h.clock.advance(61 * 60 * 1000);
    await h.standIn.sweepExpired();
    expect(await (await fetch(pageUrl)).text()).toContain("This checkout has expired");
  });
});

describe("cli", () => {
  it("when its port is taken, then it names the port and exits 1", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;

    const child = spawn(process.execPath, ["--import", "tsx", "dev/stripe-stand-in/cli.ts", "--port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    blocker.close();

    expect(code).toBe(1);
    expect(stderr).toContain(`port ${port} is already in use`);
  });
});

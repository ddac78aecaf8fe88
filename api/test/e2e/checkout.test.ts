import pg from "pg";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { DEMO_PRODUCTS } from "../../src/catalog/demo-products.js";
import { DEMO_USER } from "../../../dev/sandbox/sandbox-config.js";
import { launchChromium, screenshot } from "./browser.js";

const sandbox = inject("sandbox");
const mug = DEMO_PRODUCTS.find((p) => p.sku === "demo-mug")!;
const beans = DEMO_PRODUCTS.find((p) => p.sku === "demo-coffee-beans")!;

async function orderRow(where: { sessionId?: string; orderId?: string }) {
  const client = new pg.Client({ connectionString: sandbox.databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ id: string; status: string; amountTotal: number; paidAt: Date | null }>(
      `SELECT id, status, "amountTotal", "paidAt" FROM "Order" WHERE "stripeCheckoutSessionId" = $1 OR id::text = $2`,
      [where.sessionId ?? "", where.orderId ?? ""],
    );
    return result.rows[0];
  } finally {
    await client.end();
  }
}

/** Pages load their data after the first paint: give them time, on a busy machine too. */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 15_000 });

const statusText = (page: Page) => page.getByTestId("order-status").first().textContent();

/** The success page polls the API; a delayed payment settles seconds later. */
async function waitForStatus(page: Page, wanted: string[]) {
  await expect.poll(() => page.getByTestId("order-status").first().textContent({ timeout: 1000 }).catch(() => null), { timeout: 30_000 }).toSatisfy((s) => wanted.includes(s ?? ""));
}

describe("storefront with the hosted checkout, in Chromium", () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    pageErrors = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (msg) => {
      if (msg.type() === "error") pageErrors.push(msg.text());
    });
  });
  afterEach(async () => {
    await context.close();
    // A storefront that works only by luck (uncaught errors, failed requests) fails here.
    expect(pageErrors).toEqual([]);
  });

  async function signIn() {
    await page.goto(`${sandbox.storefrontUrl}/signin?next=/`);
    await page.getByLabel("Email").fill(DEMO_USER.email);
    await page.getByLabel("Password").fill(DEMO_USER.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${sandbox.storefrontUrl}/`);
    await poll(() => page.getByTestId("signed-in-as").textContent()).toBe(DEMO_USER.email);
  }

  async function buy(productName: string) {
    await page.getByTestId("product").filter({ hasText: productName }).getByTestId("buy").click();
    await page.waitForURL(`${sandbox.standInUrl}/c/pay/**`);
  }

  it("when the demo user signs in, buys and pays, then the success page shows paid and the order is paid in the database", async () => {
    await page.goto(sandbox.storefrontUrl);
    await poll(() => page.getByTestId("product").count()).toBeGreaterThanOrEqual(DEMO_PRODUCTS.length);
    await screenshot(page, "01-shop-signed-out");

    await page.getByRole("link", { name: "Sign in" }).click();
    await page.waitForURL(/\/signin/);
    await page.getByRole("button", { name: "Use the demo account" }).click();
    await screenshot(page, "02-sign-in");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${sandbox.storefrontUrl}/`);
    await poll(() => page.getByTestId("signed-in-as").textContent()).toBe(DEMO_USER.email);
    await poll(() => page.getByTestId("product").count()).toBeGreaterThanOrEqual(DEMO_PRODUCTS.length);
    await screenshot(page, "03-shop-signed-in");

    await buy(mug.name);
    await expect(page.getByTestId("line-items").textContent()).resolves.toContain(mug.name);
    await expect(page.getByTestId("total").textContent()).resolves.toBe("€14.50");
    await screenshot(page, "04-hosted-checkout");

    await page.getByRole("button", { name: "Pay", exact: true }).click();
    await page.waitForURL(/\/checkout\/success\?session_id=cs_/);
    await waitForStatus(page, ["paid"]);
    await expect(page.getByTestId("headline").textContent()).resolves.toBe("Thank you for your order");
    await screenshot(page, "05-success-paid");

    const sessionId = new URL(page.url()).searchParams.get("session_id")!;
    const row = await orderRow({ sessionId });
    expect(row).toMatchObject({ status: "paid", amountTotal: mug.unitAmount });
    expect(row?.paidAt).toBeInstanceOf(Date);

    await page.getByRole("link", { name: "See your orders" }).click();
    await page.waitForURL(`${sandbox.storefrontUrl}/orders`);
    await poll(() => statusText(page)).toBe("paid");
    await screenshot(page, "06-orders");
  });

  it("when the buyer cancels on the hosted page, then the cancel page says nothing was paid and the order stays pending", async () => {
    await signIn();
    await buy(beans.name);
    await page.getByRole("button", { name: "Cancel and return" }).click();
    await page.waitForURL(/\/checkout\/cancel\?order_id=/);
    await poll(() => statusText(page)).toBe("pending");
    await expect(page.getByTestId("headline").textContent()).resolves.toBe("Checkout cancelled");
    await screenshot(page, "07-cancelled");

    const orderId = new URL(page.url()).searchParams.get("order_id")!;
    expect(await orderRow({ orderId })).toMatchObject({ status: "pending", paidAt: null });
  });

  it("when a delayed payment fails, then the success page ends on failed and so does the order", async () => {
    await signIn();
    await buy(mug.name);
    await page.getByRole("button", { name: "Pay by delayed method → fails" }).click();
    await page.waitForURL(/\/checkout\/success\?session_id=cs_/);
    // Settlement comes a few seconds later; on a slow machine the page may only ever see the end.
    await waitForStatus(page, ["processing", "failed"]);
    if ((await statusText(page)) === "processing") await screenshot(page, "08-delayed-processing");
    await waitForStatus(page, ["failed"]);
    await expect(page.getByTestId("headline").textContent()).resolves.toBe("The payment failed");
    await screenshot(page, "09-delayed-failed");

    const sessionId = new URL(page.url()).searchParams.get("session_id")!;
    expect(await orderRow({ sessionId })).toMatchObject({ status: "failed", paidAt: null });
  });

  it("when several tabs load at once, then they refresh one at a time and all stay signed in", async () => {
    await signIn();
    // Each page load swaps the single-use refresh cookie; two swaps in parallel would revoke the session.
    const tabs = await Promise.all([1, 2, 3].map(() => context.newPage()));
    await Promise.all(tabs.map((tab) => tab.goto(`${sandbox.storefrontUrl}/orders`)));
    for (const tab of tabs) await poll(() => tab.getByTestId("signed-in-as").textContent()).toBe(DEMO_USER.email);

    await page.reload();
    await poll(() => page.getByTestId("signed-in-as").textContent()).toBe(DEMO_USER.email);
  });
});

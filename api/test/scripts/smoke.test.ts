import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStripeStandIn, type StripeStandIn } from "../../../dev/stripe-stand-in/index.js";
import { createUser } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { TEST_SECRETS } from "../helpers/constants.js";
import { runTs } from "../helpers/run-script.js";
import { freePort } from "../dev/sandbox/launcher-process.js";

const SMOKE = "scripts/smoke/smoke.ts";

/** The real app on a real port, so the smoke script talks HTTP to it like to a deployment. */
async function listen(t: TestApp): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const counts = async (t: TestApp) => ({ users: await t.ctx.prisma.user.count(), orders: await t.ctx.prisma.order.count() });
const checkLines = (stdout: string) => stdout.split("\n").filter((line) => /^\s+[✔✘–] /.test(line));

describe("npm run smoke", () => {
  let stripe: StripeStandIn;
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    stripe = await startStripeStandIn({ webhookSecret: TEST_SECRETS.webhookSecret });
    t = await setupTestApp({ env: { STRIPE_API_URL: stripe.url, AUTH_RATE_LIMIT: "1000" }, name: "smoke" });
    server = await listen(t);
    stripe.setWebhookUrl(`${server.baseUrl}/webhooks/stripe`);
    await t.ctx.prisma.product.create({ data: { sku: "smoke-mug", name: "Mug", description: "", unitAmount: 1200, currency: "eur", active: true } });
  });
  afterAll(async () => {
    await server?.close();
    await stripe?.close();
    await t?.close();
  });

  it("when run without SMOKE_* variables, then the read-only checks pass, the login is skipped, and nothing is created", async () => {
    const before = await counts(t);

    const result = await runTs(SMOKE, { BASE_URL: server.baseUrl });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("production: creates nothing");
    expect(checkLines(result.stdout).filter((l) => l.includes("✔"))).toHaveLength(6);
    expect(result.stdout).toMatch(/– login: .*\(skipped: set SMOKE_EMAIL and SMOKE_PASSWORD/);
    expect(result.stdout).toContain("All smoke checks passed.");
    expect(await counts(t)).toEqual(before);
  });

  it("when SMOKE_EMAIL and SMOKE_PASSWORD are given, then it logs in and out with that account and creates nothing", async () => {
    const { user, password } = await createUser(t.ctx);
    const before = await counts(t);

    const result = await runTs(SMOKE, { BASE_URL: server.baseUrl, SMOKE_EMAIL: user.email, SMOKE_PASSWORD: password });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✔ login: access token and an httpOnly, SameSite=Strict refresh cookie/);
    expect(result.stdout).toMatch(/✔ log out: the refresh token is revoked/);
    expect(await counts(t)).toEqual(before);
    const live = await t.ctx.prisma.refreshToken.count({ where: { userId: user.id, revokedAt: null } });
    expect(live).toBe(0);
  });

  it("when SMOKE_SANDBOX=1, then it registers a throwaway account, pays through the stand-in and sees the order paid by the webhook", async () => {
    const result = await runTs(SMOKE, { BASE_URL: server.baseUrl, SMOKE_SANDBOX: "1" });

    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/✔ the order becomes paid/);
    const smokeUser = await t.ctx.prisma.user.findFirstOrThrow({ where: { email: { startsWith: "smoke-" } }, include: { orders: true } });
    expect(smokeUser.orders.map((o) => o.status)).toEqual(["paid"]);
    // Its password was random and is gone with the run; its session is over.
    expect(await t.ctx.prisma.refreshToken.count({ where: { userId: smokeUser.id, revokedAt: null } })).toBe(0);
  });

  it("when a check fails, then it prints ✘ with the reason, runs nothing after it and exits 1", async () => {
    // An API that lets the smoke test's foreign origin through CORS.
    const permissive = await setupTestApp({ env: { CORS_ORIGINS: "https://smoke-test.invalid" }, name: "smoke-cors" });
    const other = await listen(permissive);
    try {
      const result = await runTs(SMOKE, { BASE_URL: other.baseUrl });

      expect(result.code).toBe(1);
      const lines = checkLines(result.stdout);
      expect(lines.at(-1)).toMatch(/✘ CORS refuses a foreign origin/);
      expect(lines.filter((l) => l.includes("✔"))).toHaveLength(3);
      expect(result.stdout).toContain("preflight allowed https://smoke-test.invalid");
      expect(result.stdout).not.toContain("All smoke checks passed.");
    } finally {
      await other.close();
      await permissive.close();
    }
  });

  it("when nothing answers at BASE_URL, then the first check fails and it exits 1", async () => {
    const result = await runTs(SMOKE, { BASE_URL: `http://127.0.0.1:${await freePort()}` });

    expect(result.code).toBe(1);
    expect(checkLines(result.stdout)).toEqual(["  ✘ GET /health answers 200 {status: ok}"]);
    expect(result.stdout).toContain("no answer (ECONNREFUSED)");
  });

  it("when BASE_URL is missing, then it says so and exits 2", async () => {
    const result = await runTs(SMOKE, {});

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("BASE_URL is required");
  });
});

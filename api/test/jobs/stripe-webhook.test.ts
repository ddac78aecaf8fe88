import { spawn } from "node:child_process";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startStripeStandIn, type StripeStandIn } from "../../../dev/stripe-stand-in/index.js";
import { HANDLED_EVENT_TYPES } from "../../src/webhooks/event-handlers.js";
import { TEST_SECRETS } from "../helpers/constants.js";
import { childEnv, REPO_ROOT } from "../helpers/run-script.js";

const SCRIPT = "api/src/jobs/stripe-webhook.ts";
const URL_OF_API = "https://api.shop.test/webhooks/stripe";
const EXPECTED_EVENTS = [
  "charge.dispute.closed",
  "charge.dispute.created",
  "charge.refund.updated",
  "charge.refunded",
  "checkout.session.async_payment_failed",
  "checkout.session.async_payment_succeeded",
  "checkout.session.completed",
  "checkout.session.expired",
  "refund.failed",
  "refund.updated",
];

let stripe: StripeStandIn;
beforeAll(async () => {
  stripe = await startStripeStandIn();
});
afterAll(() => stripe?.close());
beforeEach(() => {
  stripe.webhookEndpoints.clear();
  stripe.requests.length = 0;
});

/** Runs `npm run stripe:webhook -- ...args` against the stand-in, as a separate process. */
async function register(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, ...args], {
    cwd: REPO_ROOT,
    env: childEnv({ STRIPE_SECRET_KEY: TEST_SECRETS.stripeSecretKey, STRIPE_API_URL: stripe.url, ...env }),
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stdout, stderr };
}
const endpoints = () => [...stripe.webhookEndpoints.values()];
const writes = () => stripe.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);

describe("npm run stripe:webhook", () => {
  it("when the API handles its event types, then they are exactly the ten the API documents", () => {
    expect([...HANDLED_EVENT_TYPES].sort()).toEqual(EXPECTED_EVENTS);
  });

  it("when no endpoint has the URL, then it creates one with exactly the handled events at the SDK's API version and prints the secret once", async () => {
    const result = await register(["--url", URL_OF_API]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const [endpoint, ...others] = endpoints();
    expect(others).toEqual([]);
    expect(endpoint).toMatchObject({ url: URL_OF_API, api_version: Stripe.API_VERSION, status: "enabled" });
    expect([...endpoint!.enabled_events].sort()).toEqual(EXPECTED_EVENTS);
    const printed = result.stdout.match(/^STRIPE_WEBHOOK_SECRET=(whsec_\S+)$/gm) ?? [];
    expect(printed).toEqual([`STRIPE_WEBHOOK_SECRET=${endpoint!.secret}`]);
    expect(result.stdout).not.toContain(TEST_SECRETS.stripeSecretKey);
  });

  it("when the endpoint already matches, then it changes nothing, says unchanged and prints no secret", async () => {
    await register(["--url", URL_OF_API]);
    stripe.requests.length = 0;
    const result = await register(["--url", URL_OF_API]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^unchanged: we_\S+ already has exactly the 10 handled event types/m);
    expect(result.stdout).toMatch(/signing secret is unchanged/);
    expect(result.stdout).not.toMatch(/whsec_/);
    expect(writes()).toEqual([]);
    expect(endpoints()).toHaveLength(1);
  });

  it("when the endpoint's events drifted or it was disabled, then it is updated in place and the secret is said to be unchanged", async () => {
    await register(["--url", URL_OF_API]);
    const [endpoint] = endpoints();
    const secret = endpoint!.secret;
    endpoint!.enabled_events = ["checkout.session.completed", "customer.created"];
    endpoint!.status = "disabled";
    stripe.requests.length = 0;

    const result = await register(["--url", URL_OF_API]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^updated we_\S+: now exactly 10 event types/m);
    expect(result.stdout).toMatch(/signing secret is unchanged/);
    expect(result.stdout).not.toMatch(/whsec_/);
    expect(writes()).toEqual([`POST /v1/webhook_endpoints/${endpoint!.id}`]);
    expect([...endpoint!.enabled_events].sort()).toEqual(EXPECTED_EVENTS);
    expect(endpoint!.status).toBe("enabled");
    expect(endpoint!.secret).toBe(secret);
  });

  it("when the endpoint has another API version, then it refuses, and with --replace recreates it with a new secret", async () => {
    await register(["--url", URL_OF_API]);
    const [old] = endpoints();
    old!.api_version = "2020-08-27";

    const refused = await register(["--url", URL_OF_API]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/API version 2020-08-27.*--replace/);
    expect(endpoints()).toEqual([old]);

    const replaced = await register(["--url", URL_OF_API, "--replace"]);
    expect(replaced.code).toBe(0);
    const [fresh, ...others] = endpoints();
    expect(others).toEqual([]);
    expect(fresh!.id).not.toBe(old!.id);
    expect(fresh!.api_version).toBe(Stripe.API_VERSION);
    expect(replaced.stdout).toContain(`STRIPE_WEBHOOK_SECRET=${fresh!.secret}`);
  });

  it("when two endpoints share the URL, then it refuses and names both", async () => {
    await register(["--url", URL_OF_API]);
    const client = new Stripe(TEST_SECRETS.stripeSecretKey, { host: new URL(stripe.url).hostname, port: new URL(stripe.url).port, protocol: "http" });
    const second = await client.webhookEndpoints.create({ url: URL_OF_API, enabled_events: ["charge.refunded"] });
    const result = await register(["--url", URL_OF_API]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(second.id);
    expect(result.stderr).toMatch(/2 endpoints have this URL/);
  });

  it("when the input is wrong, then it fails with one clear line and never calls Stripe", async () => {
    const cases: [string[], Record<string, string | undefined>, RegExp][] = [
      [[], {}, /--url is required/],
      [["--url", "https://api.shop.test/hooks"], {}, /must end with \/webhooks\/stripe/],
      [["--url", "http://api.shop.test/webhooks/stripe"], { STRIPE_API_URL: undefined }, /must be an https:\/\/ URL/],
      [["--url", URL_OF_API], { STRIPE_SECRET_KEY: undefined }, /STRIPE_SECRET_KEY: is required/],
    ];
    for (const [args, env, message] of cases) {
      const result = await register(args, env);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(stripe.requests).toEqual([]);
  });
});

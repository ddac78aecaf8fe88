import { parseArgs } from "node:util";
import Stripe from "stripe";
import { createStripeClient } from "../platform/stripe/stripe-client.js";
import { HANDLED_EVENT_TYPES } from "../webhooks/event-handlers.js";

/**
 * `npm run stripe:webhook -- --url https://api.example.com/webhooks/stripe [--replace]`
 *
 * Registers the API's webhook endpoint with Stripe: exactly the event types the API
 * handles, at the SDK's pinned API version (so payloads have the shapes our types expect).
 * Creates it when no endpoint has that URL and prints the signing secret, which Stripe
 * returns only then; otherwise brings the existing one's events in line and says the
 * secret is unchanged. Needs only STRIPE_SECRET_KEY (and STRIPE_API_URL for a stand-in).
 */

const out = (line: string) => process.stdout.write(`${line}\n`);
function fail(line: string): never {
  process.stderr.write(`stripe:webhook: ${line}\n`);
  process.exit(1);
}

const { values } = parseArgs({ options: { url: { type: "string" }, replace: { type: "boolean", default: false } } });
const secretKey = process.env.STRIPE_SECRET_KEY?.trim();
const apiUrl = process.env.STRIPE_API_URL?.trim() || undefined;
if (!secretKey || !/^(sk|rk)_(test|live)_\S+$/.test(secretKey)) fail("STRIPE_SECRET_KEY: is required (sk_live_…, or sk_test_… for staging)");
if (!values.url || !URL.canParse(values.url)) fail("--url is required: the public URL of POST /webhooks/stripe, e.g. --url https://api.example.com/webhooks/stripe");
const target = new URL(values.url);
// Stripe delivers live events only over HTTPS; a local stand-in may use plain HTTP.
if (target.protocol !== "https:" && !apiUrl) fail("--url must be an https:// URL (Stripe delivers live events only over HTTPS)");
if (target.pathname.replace(/\/+$/, "") !== "/webhooks/stripe") fail("--url must end with /webhooks/stripe, the API's webhook route");
if (target.search || target.hash) fail("--url must not carry a query string or fragment");
const url = target.toString();

const stripe = createStripeClient({
  secretKey,
  apiUrl,
  webhookSecret: "whsec_unused",
  timeoutMs: 10_000,
  maxNetworkRetries: 2,
  deadlineMs: 60_000,
  webhookToleranceSeconds: 300,
});
const apiVersion = Stripe.API_VERSION;
const events = [...HANDLED_EVENT_TYPES].sort();
const mode = apiUrl ? `the Stripe-compatible server at ${apiUrl}` : secretKey.includes("_live_") ? "Stripe (live mode)" : "Stripe (test mode)";
out(`Webhook endpoint for ${url} on ${mode}, API version ${apiVersion}`);

const sameEvents = (endpoint: Stripe.WebhookEndpoint) => [...endpoint.enabled_events].sort().join(",") === events.join(",");

async function create(): Promise<void> {
  const created = await stripe.webhookEndpoints.create({
    url,
    enabled_events: events as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
    api_version: apiVersion as Stripe.WebhookEndpointCreateParams.ApiVersion,
    description: "checkout-api",
  });
  out(`created ${created.id} with ${events.length} event types: ${events.join(", ")}`);
  out("Its signing secret, shown only this once; store it as the API's STRIPE_WEBHOOK_SECRET and restart the API:");
  out(`STRIPE_WEBHOOK_SECRET=${created.secret}`);
}

try {
  const existing: Stripe.WebhookEndpoint[] = [];
  for await (const endpoint of stripe.webhookEndpoints.list({ limit: 100 })) {
    if (endpoint.url === url) existing.push(endpoint);
  }
  if (existing.length > 1) {
    fail(`${existing.length} endpoints have this URL (${existing.map((e) => e.id).join(", ")}); every event would arrive twice, once with a signature the API rejects. Delete all but one in the Dashboard, then run this again.`);
  }
  const [endpoint] = existing;
  if (!endpoint) {
    await create();
  } else if (endpoint.api_version !== apiVersion && !values.replace) {
    // null: the account's default version, which may be any; payload shapes would not be ours.
    fail(`${endpoint.id} sends events at API version ${endpoint.api_version ?? "of the account default"}, the SDK expects ${apiVersion}; Stripe cannot change an endpoint's version. Run again with --replace to delete and recreate it (a new signing secret).`);
  } else if (endpoint.api_version !== apiVersion) {
    await stripe.webhookEndpoints.del(endpoint.id);
    out(`deleted ${endpoint.id} (API version ${endpoint.api_version ?? "account default"})`);
    await create();
  } else if (sameEvents(endpoint) && endpoint.status === "enabled") {
    out(`unchanged: ${endpoint.id} already has exactly the ${events.length} handled event types and is enabled.`);
    out("The signing secret is unchanged: keep STRIPE_WEBHOOK_SECRET as it is (Stripe shows it only at creation).");
  } else {
    await stripe.webhookEndpoints.update(endpoint.id, {
      enabled_events: events as Stripe.WebhookEndpointUpdateParams.EnabledEvent[],
      disabled: false,
    });
    out(`updated ${endpoint.id}: now exactly ${events.length} event types (${events.join(", ")}), enabled.`);
    out("The signing secret is unchanged: keep STRIPE_WEBHOOK_SECRET as it is (Stripe shows it only at creation).");
  }
} catch (err) {
  const e = err as { type?: string; message?: string; statusCode?: number };
  fail(`Stripe refused or could not be reached (${e.type ?? "error"}${e.statusCode ? ` ${e.statusCode}` : ""}): ${e.message ?? String(err)}`);
}

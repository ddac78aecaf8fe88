import { parseArgs } from "node:util";
import { createLogger } from "../../api/src/platform/logger.js";
import { DEFAULT_WEBHOOK_SECRET, startStripeStandIn } from "./index.js";

/**
 * Runs the Stripe stand-in on its own, like `stripe-mock` plus `stripe listen --forward-to`:
 *
 *   tsx dev/stripe-stand-in/cli.ts --port 12111 \
 *     --webhook-url http://127.0.0.1:3000/webhooks/stripe --webhook-secret whsec_…
 *
 * Flags win over the environment: STRIPE_STAND_IN_PORT, STRIPE_STAND_IN_HOST,
 * STRIPE_STAND_IN_WEBHOOK_URL, STRIPE_WEBHOOK_SECRET, STRIPE_STAND_IN_PUBLIC_URL, LOG_LEVEL.
 */

const USAGE = `Usage: stripe-stand-in [--port 12111] [--host 127.0.0.1] [--webhook-url URL] [--webhook-secret whsec_…] [--public-url URL] [--delayed-settlement-ms 3000]\n`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "webhook-url": { type: "string" },
      "webhook-secret": { type: "string" },
      "public-url": { type: "string" },
      "delayed-settlement-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const env = process.env;
  const port = Number(values.port ?? env.STRIPE_STAND_IN_PORT ?? 12111);
  const secret = values["webhook-secret"] ?? env.STRIPE_WEBHOOK_SECRET ?? DEFAULT_WEBHOOK_SECRET;
  const settlement = Number(values["delayed-settlement-ms"] ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(`invalid port: ${values.port ?? env.STRIPE_STAND_IN_PORT}`);
  if (!secret.startsWith("whsec_")) return fail("the webhook secret must start with whsec_");
  if (!Number.isInteger(settlement) || settlement < 0) return fail("--delayed-settlement-ms must be a whole number of milliseconds");

  const logger = createLogger({ level: env.LOG_LEVEL ?? "info", name: "stripe-stand-in" });
  const webhookUrl = values["webhook-url"] ?? env.STRIPE_STAND_IN_WEBHOOK_URL;
  let standIn;
  try {
    standIn = await startStripeStandIn({
      port,
      host: values.host ?? env.STRIPE_STAND_IN_HOST ?? "127.0.0.1",
      webhookSecret: secret,
      ...(webhookUrl ? { webhookUrl } : {}),
      ...((values["public-url"] ?? env.STRIPE_STAND_IN_PUBLIC_URL) ? { publicUrl: values["public-url"] ?? env.STRIPE_STAND_IN_PUBLIC_URL } : {}),
      logger,
      sweepIntervalMs: 1000,
      delayedSettlementMs: settlement,
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    return fail(code === "EADDRINUSE" ? `port ${port} is already in use` : `could not start: ${(err as Error).message}`);
  }
  process.stdout.write(`Stripe stand-in on ${standIn.url} (STRIPE_API_URL)${webhookUrl ? `, forwarding events to ${webhookUrl}` : ", events recorded only"}\n`);

  const stop = () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    void standIn.close().then(() => logger.info("stripe stand-in stopped"));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

function fail(message: string): void {
  process.stderr.write(`stripe-stand-in: ${message}\n${USAGE}`);
  process.exitCode = 1;
}

void main();

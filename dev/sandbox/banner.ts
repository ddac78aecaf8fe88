import path from "node:path";
import { apiUrl, DEMO_ADMIN, DEMO_USER, standInUrl, storefrontUrl, type SandboxConfig } from "./sandbox-config.js";

/** The one block `npm run dev` prints once everything answers. */
export function readyBanner(config: SandboxConfig, databaseUrl: string, seconds: number): string {
  const api = apiUrl(config);
  const relative = path.relative(config.rootDir, config.dataDir);
  const dataDir = relative && !relative.startsWith("..") ? relative : config.dataDir;
  const stripe = config.stripe;
  const stripeLines =
    stripe.kind === "stand-in"
      ? [`  Stripe      ${standInUrl(config)}  (local stand-in; signed webhooks go to ${api}/webhooks/stripe)`]
      : stripe.kind === "external"
        ? [`  Stripe      ${stripe.apiUrl} (STRIPE_API_URL; no webhooks are forwarded)`]
        : [
            "  Stripe      Stripe's test mode. Forward its webhooks to the API with the Stripe CLI:",
            `                stripe listen --forward-to ${api}/webhooks/stripe`,
            stripe.webhookSecretGiven
              ? "              (STRIPE_WEBHOOK_SECRET must be the secret that command prints)"
              : "              and restart with its secret: STRIPE_WEBHOOK_SECRET=$(stripe listen --print-secret) npm run dev",
          ];
  const url = new URL(databaseUrl);
  return [
    "",
    `  Checkout sandbox ready in ${seconds.toFixed(1)} s`,
    "",
    `  Storefront  ${storefrontUrl(config)}`,
    `  API         ${api}  (docs ${api}/docs)`,
    ...stripeLines,
    `  PostgreSQL  ${url.protocol}//${url.username}:${url.password}@${url.host}${url.pathname}  (data in ${dataDir}/)`,
    "",
    `  Demo user   ${DEMO_USER.email} / ${DEMO_USER.password}`,
    `  Admin       ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}`,
    "",
    `  Ctrl-C stops everything, PostgreSQL included. Start from empty data: npm run dev -- --reset`,
    "",
  ].join("\n");
}

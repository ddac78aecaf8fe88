import cors from "cors";
import express, { type Express } from "express";
import helmet from "helmet";
import { createAdminRouter } from "./admin/admin-router.js";
import { createAuthRouter } from "./auth/auth-router.js";
import { createCatalogRouter } from "./catalog/catalog-router.js";
import type { AppContext } from "./context.js";
import { createCheckoutRouter } from "./checkout/checkout-router.js";
import { createHealthRouter } from "./health/health-router.js";
import { createDocsRouter } from "./openapi/docs-router.js";
import { jsonBody } from "./platform/http/body-parsers.js";
import { errorHandler, notFoundHandler } from "./platform/http/error-handler.js";
import { requestBasics } from "./platform/http/request-id.js";
import { observeRequests } from "./platform/http/request-logger.js";
import { createMetricsRouter } from "./admin/metrics-router.js";
import { createOrdersRouter } from "./orders/orders-router.js";
import { createRefundsRouter } from "./refunds/refunds-router.js";
import { createWebhookRouter } from "./webhooks/webhook-router.js";

export const CORS_ALLOWED_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"];
export const CORS_EXPOSED_HEADERS = ["X-Request-Id", "Idempotent-Replayed", "Retry-After"];

/**
 * Wires middleware and routers in the one order that is safe (see README: request
 * pipeline). Stripe's webhook reads its body raw, so it is mounted before the JSON parser.
 */
export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", ctx.config.http.trustProxy);
  app.set("query parser", "simple");

  const securityHeaders = helmet();
  const corsPolicy = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && ctx.config.http.corsOrigins.includes(origin)),
    credentials: true,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });

  // Request id and `Connection: close` while draining, then the request's line and metrics.
  app.use(requestBasics(ctx.lifecycle));
  app.use(observeRequests(app, ctx.logger, ctx.metrics));
  app.use(securityHeaders);
  app.use(corsPolicy);

  app.use(createHealthRouter(ctx));
  app.use(createMetricsRouter(ctx));
  app.use(createWebhookRouter(ctx));

  app.use(jsonBody());

  // Feature routers are mounted here.
  app.use(createDocsRouter(ctx));
  app.use(createCatalogRouter(ctx));
  app.use("/auth", createAuthRouter(ctx));
  app.use(createCheckoutRouter(ctx));
  app.use(createOrdersRouter(ctx));
  app.use(createRefundsRouter(ctx));
  app.use(createAdminRouter(ctx));

  app.use(notFoundHandler);
  app.use(errorHandler(ctx.logger, { onUnexpected: (err, requestId) => ctx.errorReporter.captureUnexpected(err, requestId) }));
  return app;
}

import type { IncomingMessage, ServerResponse } from "node:http";
import cors from "cors";
import express, { type Express } from "express";
import helmet from "helmet";
import { createAdminRouter } from "./admin/admin-router.js";
import { createAuthRouter } from "./auth/auth-router.js";
import { createCatalogRouter } from "./catalog/catalog-router.js";
import type { AppContext } from "./context.js";
import { createCheckoutRouter } from "./checkout/checkout-router.js";
import { createHealthRouter } from "./health/health-router.js";
import { createLivenessEndpoint } from "./health/liveness-endpoint.js";
import { createDocsRouter } from "./openapi/docs-router.js";
import { jsonBody } from "./http/body-parsers.js";
import { errorHandler, notFoundHandler } from "./http/error-handler.js";
import { requestBasics } from "./http/request-id.js";
import { observeRequests } from "./http/request-logger.js";
import { createMetricsRouter } from "./metrics/metrics-router.js";
import { createOrdersRouter } from "./orders/orders-router.js";
import { createRefundsRouter } from "./refunds/refunds-router.js";
import { createWebhookEndpoint } from "./webhooks/webhook-endpoint.js";

export const CORS_ALLOWED_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"];
export const CORS_EXPOSED_HEADERS = ["X-Request-Id", "Idempotent-Replayed", "Retry-After"];

/**
 * Wires middleware and routers in the one order that is safe (see README: request
 * pipeline); Stripe's webhook is answered before all of it (`answeredFirst` below).
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
  return answeredFirst(app, [createWebhookEndpoint(ctx), createLivenessEndpoint(ctx, securityHeaders, corsPolicy)]);
}

/** Routes answered before Express sees the request (listed for the OpenAPI route check). */
export const ROUTES_BEFORE_EXPRESS = ["GET /health", "POST /webhooks/stripe"];

interface EarlyEndpoint {
  matches(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/**
 * Lets Stripe's webhook and the liveness probe be answered before Express
 * (webhooks/webhook-endpoint.ts, health/liveness-endpoint.ts): Express's per-request setup
 * (it swaps the prototypes of req and res, then runs the middleware chain and the router)
 * costs more CPU than a whole webhook event on these machines (bench/README.md).
 * `app.handle` is what Express's request listener, `app.listen` and mounting all call, so
 * `app` stays an Express app for every other request, tests included.
 */
function answeredFirst(app: Express, endpoints: EarlyEndpoint[]): Express {
  const express = app as unknown as { handle: Handle };
  const handle = express.handle.bind(app);
  express.handle = (req, res, next) => {
    const endpoint = endpoints.find((e) => e.matches(req));
    return endpoint ? endpoint.handle(req, res) : handle(req, res, next);
  };
  return app;
}

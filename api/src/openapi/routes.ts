import type { z } from "zod";
import { adminOrderParams } from "../admin/schema.js";
import { loginBody, registerBody } from "../auth/schema.js";
import { checkoutBody, sessionParams } from "../checkout/schema.js";
import { listOrdersQuery, orderParams } from "../orders/schema.js";
import { refundBody, refundParams } from "../refunds/schema.js";
import { responses } from "./response-schemas.js";

type Method = "get" | "post";
type Auth = "none" | "bearer" | "admin" | "cookie" | "stripe" | "metrics";

export interface RouteSpec {
  method: Method;
  /** OpenAPI path template, e.g. /orders/{id}. */
  path: string;
  summary: string;
  auth: Auth;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  headers?: { name: string; description: string; required?: boolean }[];
  /** status → schema (null: no body; "text", "html", "json": a body described elsewhere). */
  ok: Record<number, z.ZodType | null | "text" | "html" | "json">;
  /** Error statuses answered with problem+json. */
  problems: number[];
}

/**
 * Every route of the API, described from the same zod schemas that validate requests. A
 * test walks the Express app and fails when a route is missing here.
 */
export const routeSpecs: RouteSpec[] = [
  { method: "get", path: "/health", summary: "Liveness: the process answers (no database call)", auth: "none", tag: "operations", ok: { 200: responses.health }, problems: [] },
  { method: "get", path: "/ready", summary: "Readiness: database reachable within 500 ms and every migration applied", auth: "none", tag: "operations", ok: { 200: responses.ready, 503: responses.ready }, problems: [] },
  { method: "get", path: "/metrics", summary: "Prometheus metrics (Bearer METRICS_TOKEN when set)", auth: "metrics", tag: "operations", ok: { 200: "text" }, problems: [401] },
  { method: "get", path: "/openapi.json", summary: "This document (outside production unless DOCS_ENABLED=true)", auth: "none", tag: "operations", ok: { 200: "json" }, problems: [] },
  { method: "get", path: "/docs", summary: "A readable page of this document (same availability)", auth: "none", tag: "operations", ok: { 200: "html" }, problems: [] },
  { method: "get", path: "/admin/metrics", summary: "Webhook and runtime counters of this process", auth: "admin", tag: "operations", ok: { 200: responses.adminMetrics }, problems: [401, 403] },
  { method: "post", path: "/auth/register", summary: "Create an account", auth: "none", tag: "auth", body: registerBody, ok: { 201: responses.user }, problems: [400, 409, 413, 415, 429, 503] },
  { method: "post", path: "/auth/login", summary: "Sign in: access token in the body, refresh token in an httpOnly cookie", auth: "none", tag: "auth", body: loginBody, ok: { 200: responses.session }, problems: [400, 401, 429, 503] },
  { method: "post", path: "/auth/refresh", summary: "Spend the refresh cookie for a new session (reuse revokes the family)", auth: "cookie", tag: "auth", ok: { 200: responses.session }, problems: [401, 403, 429] },
  { method: "post", path: "/auth/logout", summary: "Revoke the refresh token and clear the cookie", auth: "cookie", tag: "auth", ok: { 204: null }, problems: [403] },
  { method: "get", path: "/auth/me", summary: "The signed-in user", auth: "bearer", tag: "auth", ok: { 200: responses.user }, problems: [401] },
  { method: "get", path: "/products", summary: "Active products", auth: "none", tag: "catalog", ok: { 200: responses.products }, problems: [] },
  {
    method: "post",
    path: "/payments/checkout-session",
    summary: "Start a payment: a pending order, then a Stripe Checkout Session",
    auth: "bearer",
    tag: "payments",
    body: checkoutBody,
    headers: [{ name: "Idempotency-Key", description: "1–255 printable characters; the same key and body replay the first answer (Idempotent-Replayed: true)" }],
    ok: { 201: responses.checkoutSession },
    problems: [400, 401, 404, 409, 413, 415, 429, 502, 503],
  },
  { method: "get", path: "/payments/checkout-session/{sessionId}", summary: "The order of a session, synced from Stripe while pending (success page)", auth: "bearer", tag: "payments", params: sessionParams, ok: { 200: responses.order }, problems: [400, 401, 404, 429] },
  { method: "get", path: "/orders", summary: "Own orders, newest first, cursor pagination", auth: "bearer", tag: "orders", query: listOrdersQuery, ok: { 200: responses.orders }, problems: [400, 401] },
  { method: "get", path: "/orders/{id}", summary: "One order (owner or admin; 404 for anyone else)", auth: "bearer", tag: "orders", params: orderParams, ok: { 200: responses.order }, problems: [400, 401, 404] },
  {
    method: "post",
    path: "/webhooks/stripe",
    summary: "Stripe events (raw body, Stripe-Signature verified)",
    auth: "stripe",
    tag: "webhooks",
    headers: [{ name: "Stripe-Signature", description: "Stripe's signature over the raw body", required: true }],
    ok: { 200: responses.received },
    problems: [400, 413, 500],
  },
  {
    method: "post",
    path: "/admin/orders/{id}/refunds",
    summary: "Refund part or all of a paid order: 201 when Stripe answered, 202 pending when its outcome is unknown (the amount stays reserved); 409 REFUND_PENDING carries the unresolved refund",
    auth: "admin",
    tag: "admin",
    params: refundParams,
    body: refundBody,
    headers: [{ name: "Idempotency-Key", description: "1–255 printable characters; the same key and body replay the first answer (Idempotent-Replayed: true)" }],
    ok: { 201: responses.refund, 202: responses.refund },
    problems: [400, 401, 403, 404, 409, 502],
  },
  { method: "get", path: "/admin/orders/{id}", summary: "One order with its refunds and its Stripe events, for an operator", auth: "admin", tag: "admin", params: adminOrderParams, ok: { 200: responses.adminOrder }, problems: [400, 401, 403, 404] },
];

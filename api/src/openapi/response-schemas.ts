import { z } from "zod";
import { errorCodes } from "../platform/errors.js";

/**
 * The shapes the API answers with, as zod schemas, for the OpenAPI document only: the
 * contract tests validate real responses against the document built from these.
 */
const isoDate = z.iso.datetime();
const uuid = z.uuid();

export const refundSchema = z
  .object({ id: z.string(), amount: z.int().positive(), status: z.enum(["pending", "succeeded", "failed"]) })
  .strict()
  ;

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.enum(Object.keys(errorCodes) as [keyof typeof errorCodes, ...(keyof typeof errorCodes)[]]),
    requestId: z.string(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
    refund: refundSchema.optional().meta({ description: "REFUND_PENDING only: the refund whose outcome is not known yet" }),
  })
  .strict()
  .meta({ description: "RFC 9457 problem details" });

export const userSchema = z
  .object({ id: uuid, email: z.email(), role: z.enum(["USER", "ADMIN"]) })
  .strict()
  ;

export const sessionSchema = z
  .object({ accessToken: z.string(), tokenType: z.literal("Bearer"), expiresIn: z.int().positive(), user: userSchema })
  .strict()
  .meta({ description: "Also sets the httpOnly refresh_token cookie (Path=/auth, SameSite=Strict)." });

export const productSchema = z
  .object({ id: uuid, name: z.string(), description: z.string(), unitAmount: z.int(), currency: z.string().length(3) })
  .strict()
  ;

export const orderSchema = z
  .object({
    id: uuid,
    status: z.enum(["pending", "processing", "paid", "failed", "expired", "partially_refunded", "refunded"]),
    amountTotal: z.int(),
    currency: z.string().length(3),
    items: z.array(z.object({ productId: uuid, name: z.string(), quantity: z.int().min(1), unitAmount: z.int() }).strict()),
    createdAt: isoDate,
    paidAt: isoDate.nullable(),
    refundedAmount: z.int().min(0),
  })
  .strict()
  ;

export const checkoutSessionSchema = z
  .object({ orderId: uuid, sessionId: z.string(), url: z.string(), expiresAt: isoDate })
  .strict()
  ;

const check = z.enum(["ok", "fail"]);
export const readySchema = z
  .object({ status: z.enum(["ready", "unavailable", "shutting_down"]), checks: z.object({ database: check, migrations: check }).strict() })
  .strict()
  ;

const count = z.int().min(0);
export const adminMetricsSchema = z
  .object({
    webhook: z
      .object({ received: count, processed: count, duplicates: count, ignored: count, rejected: count, invalidSignatures: count, errors: count })
      .strict(),
    runtime: z.object({ uptimeSeconds: z.number().min(0), http5xx: count, version: z.string() }).strict(),
  })
  .strict()
  ;

export const responses = {
  health: z.object({ status: z.literal("ok") }).strict(),
  ready: readySchema,
  user: z.object({ user: userSchema }).strict(),
  session: sessionSchema,
  products: z.object({ data: z.array(productSchema) }).strict(),
  checkoutSession: checkoutSessionSchema,
  order: z.object({ order: orderSchema }).strict(),
  orders: z.object({ data: z.array(orderSchema), nextCursor: z.string().nullable() }).strict(),
  received: z.object({ received: z.literal(true) }).strict(),
  refund: z.object({ refund: refundSchema }).strict(),
  adminOrder: z
    .object({
      order: orderSchema,
      refunds: z.array(
        z.object({ id: uuid, amount: z.int().positive(), status: refundSchema.shape.status, createdAt: isoDate, createdBy: uuid.nullable() }).strict(),
      ),
      events: z.array(
        z.object({ stripeEventId: z.string(), type: z.string(), outcome: z.enum(["processed", "ignored", "rejected"]), receivedAt: isoDate }).strict(),
      ),
    })
    .strict(),
  adminMetrics: adminMetricsSchema,
};

import { z } from "zod";

const MAX_LINES = 20;

export const checkoutBody = z.strictObject({
  items: z
    .array(
      z.strictObject({
        productId: z.uuid({ error: "must be a product id (UUID)" }),
        quantity: z.int({ error: "must be a whole number" }).min(1).max(99),
      }),
      { error: "must be a list of { productId, quantity }" },
    )
    .min(1, "must contain at least one line")
    .max(MAX_LINES, `must contain at most ${MAX_LINES} lines`),
});
export type CheckoutBody = z.infer<typeof checkoutBody>;

/** 1–255 printable ASCII characters, as documented. */
export const idempotencyKeyHeader = z
  .string()
  .regex(/^[\x20-\x7E]{1,255}$/, "must be 1–255 printable characters")
  .optional();

export const sessionParams = z.strictObject({
  sessionId: z.string().regex(/^cs_[A-Za-z0-9_]{1,250}$/, "must be a Checkout Session id (cs_…)"),
});

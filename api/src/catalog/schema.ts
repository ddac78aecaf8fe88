import { z } from "zod";

/** GET /products takes no parameters; anything given is a client mistake worth telling. */
export const listProductsQuery = z.object({}).strict();

/** Stripe's largest unit amount (eight digits in the minor unit). */
export const MAX_UNIT_AMOUNT = 99_999_999;

/** One product of a CATALOG_FILE (and of the demo catalogue). `sku` is the stable key of upserts. */
export const catalogEntrySchema = z
  .object({
    sku: z
      .string()
      .trim()
      .min(1, "is required")
      .max(64, "must be at most 64 characters")
      .regex(/^[A-Za-z0-9._-]+$/, "may contain only letters, digits, '.', '_' and '-'"),
    name: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters"),
    description: z.string().trim().max(2000, "must be at most 2000 characters").default(""),
    unitAmount: z
      .number({ error: "must be an integer amount in the currency's minor unit" })
      .int("must be an integer amount in the currency's minor unit")
      .min(1, "must be at least 1")
      .max(MAX_UNIT_AMOUNT, `must be at most ${MAX_UNIT_AMOUNT}`),
    currency: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z]{3}$/, "must be a three-letter ISO 4217 code"),
    active: z.boolean({ error: "must be true or false" }).default(true),
  })
  .strict();

export type CatalogEntry = z.infer<typeof catalogEntrySchema>;

export const catalogFileSchema = z.array(catalogEntrySchema, { error: "must be a JSON list of products" }).superRefine((entries, ctx) => {
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (seen.has(entry.sku)) ctx.addIssue({ code: "custom", path: [index, "sku"], message: "appears more than once" });
    seen.add(entry.sku);
  });
});

import { z } from "zod";

export const listOrdersQuery = z.strictObject({
  limit: z.coerce.number({ error: "must be a number" }).int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const orderParams = z.strictObject({ id: z.uuid({ error: "must be an order id (UUID)" }) });

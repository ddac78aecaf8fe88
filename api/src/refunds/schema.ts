import { z } from "zod";

export const refundParams = z.strictObject({ id: z.uuid({ error: "must be an order id (UUID)" }) });
export const refundBody = z.strictObject({
  amount: z.int({ error: "must be a whole number of minor units" }).positive().max(99_999_999).optional(),
});

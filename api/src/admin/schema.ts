import { z } from "zod";

export const adminOrderParams = z.strictObject({ id: z.uuid({ error: "must be an order id (UUID)" }) });

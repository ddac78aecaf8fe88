import { Router } from "express";
import { requireAuth } from "../auth/require-auth.js";
import type { AppContext } from "../context.js";
import { inputOf, validate } from "../platform/http/validate.js";
import { listOrdersQuery, orderParams } from "./schema.js";
import { getOrder, listOrders } from "./orders-service.js";

const listSchemas = { query: listOrdersQuery };
const getSchemas = { params: orderParams };

export function createOrdersRouter(ctx: AppContext): Router {
  const router = Router();
  router.use("/orders", requireAuth(ctx));

  router.get("/orders", validate(listSchemas), async (req, res) => {
    const { query } = inputOf(req, listSchemas);
    res.json(await listOrders(ctx, { userId: req.user!.id, limit: query.limit, cursor: query.cursor }));
  });

  router.get("/orders/:id", validate(getSchemas), async (req, res) => {
    const { params } = inputOf(req, getSchemas);
    res.json({ order: await getOrder(ctx, { orderId: params.id, userId: req.user!.id }) });
  });

  return router;
}

import { Router } from "express";
import type { AppContext } from "../context.js";
import { validate } from "../platform/http/validate.js";
import { listActiveProducts } from "./catalog-service.js";
import { listProductsQuery } from "./schema.js";

/** GET /products: the public catalogue. */
export function createCatalogRouter(ctx: AppContext): Router {
  const router = Router();

  router.get("/products", validate({ query: listProductsQuery }), async (_req, res) => {
    res.json({ data: await listActiveProducts(ctx) });
  });

  return router;
}

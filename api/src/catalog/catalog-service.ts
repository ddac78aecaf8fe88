import type { AppContext } from "../context.js";

export interface ProductView {
  id: string;
  name: string;
  description: string;
  unitAmount: number;
  currency: string;
}

/** The products on sale, in a stable order (by name, then id), as the API shows them. */
export async function listActiveProducts(ctx: Pick<AppContext, "prisma">): Promise<ProductView[]> {
  return ctx.prisma.product.findMany({
    where: { active: true },
    orderBy: [{ name: "asc" }, { id: "asc" }],
    select: { id: true, name: true, description: true, unitAmount: true, currency: true },
  });
}

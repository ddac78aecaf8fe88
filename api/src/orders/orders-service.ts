import type { AppContext } from "../context.js";
import { notFound, validationFailed } from "../platform/errors.js";
import { presentOrder, type OrderView } from "./order-view.js";

interface Cursor {
  createdAt: Date;
  id: string;
}

const encodeCursor = (c: Cursor) => Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString("base64url");

function decodeCursor(raw: string): Cursor {
  const [at, id] = Buffer.from(raw, "base64url").toString("utf8").split("|");
  const createdAt = new Date(at ?? "");
  // Only what encodeCursor writes: a forged date such as year 0 or +275760 is a valid JS
  // Date that PostgreSQL refuses, which would otherwise surface as a 500.
  const canonical = !Number.isNaN(createdAt.getTime()) && createdAt.toISOString() === at && /^(?!0000)\d{4}-/.test(at);
  if (!id || !canonical || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw validationFailed({ "query.cursor": ["is not a cursor this API returned"] });
  }
  return { createdAt, id };
}

/**
 * The caller's orders, newest first. Keyset pagination on (createdAt, id) uses the
 * (userId, createdAt, id) index at any depth; an offset would scan everything before it.
 * The `createdAt <= cursor` bound is what PostgreSQL can use as the index condition, so
 * the scan starts at the cursor; the OR alone is only a filter, and the scan would walk
 * every newer order first.
 */
export async function listOrders(
  ctx: AppContext,
  input: { userId: string; limit: number; cursor?: string },
): Promise<{ data: OrderView[]; nextCursor: string | null }> {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const rows = await ctx.prisma.order.findMany({
    where: {
      userId: input.userId,
      ...(after
        ? {
            createdAt: { lte: after.createdAt },
            OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
          }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    include: { items: { orderBy: { id: "asc" } } },
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    data: page.map(presentOrder),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  };
}

/** One order for its owner or an admin (current role from the database); 404 for anyone else. */
export async function getOrder(ctx: AppContext, input: { orderId: string; userId: string }): Promise<OrderView> {
  const order = await ctx.prisma.order.findUnique({ where: { id: input.orderId }, include: { items: { orderBy: { id: "asc" } } } });
  if (order && order.userId !== input.userId) {
    const viewer = await ctx.prisma.user.findUnique({ where: { id: input.userId }, select: { role: true, isActive: true } });
    if (viewer?.role !== "ADMIN" || !viewer.isActive) throw notFound("No such order.");
  }
  if (!order) throw notFound("No such order.");
  return presentOrder(order);
}

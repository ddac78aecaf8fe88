import type { AppContext } from "../context.js";
import { Prisma } from "../generated/prisma/client.js";
import type { KeyRow } from "./idempotency.js";
import type { PricedCart } from "./pricing.js";

/**
 * The checkout's writes. Each is one Prisma transaction that never spans a Stripe call: the
 * order is written before the call, its session after it. With an Idempotency-Key, every write
 * is fenced by the claim (id, token, still in progress), so a request that lost its claim to a
 * takeover changes nothing.
 */

const claimHeld = (key: KeyRow) => ({ id: key.id, claimToken: key.claimToken, state: "in_progress" as const });

/**
 * The pending order with its session parameters (the exact text every attempt sends), its
 * lines with prices copied, and the key's link to it, in one batch transaction. The key is
 * re-linked only from the order this request found on it (none, or a spent one); when the
 * claim was lost meanwhile, `update` matches no row, the batch rolls back and this is false.
 */
export async function insertPendingOrder(
  ctx: AppContext,
  order: { id: string; userId: string; cart: PricedCart; expiresAt: Date; paramsText: string; key?: KeyRow },
): Promise<boolean> {
  const lines = order.cart.lines.map(({ productId, name, quantity, unitAmount }) => ({ orderId: order.id, productId, name, quantity, unitAmount }));
  // The order first: its lines' and the key's foreign keys must find it. A flat `create`
  // selecting only the id is one INSERT … RETURNING whose query plan Prisma caches (a nested
  // create of the lines reads the order back in one more statement).
  const writes: Prisma.PrismaPromise<unknown>[] = [
    ctx.prisma.order.create({
      data: {
        id: order.id,
        userId: order.userId,
        status: "pending",
        amountTotal: order.cart.amountTotal,
        currency: order.cart.currency,
        checkoutExpiresAt: order.expiresAt,
        checkoutParamsText: order.paramsText,
      },
      select: { id: true },
    }),
    ctx.prisma.orderItem.createMany({ data: lines }),
  ];
  if (order.key) {
    writes.push(
      ctx.prisma.idempotencyKey.update({
        where: { ...claimHeld(order.key), orderId: order.key.orderId },
        data: { orderId: order.id },
        select: { id: true },
      }),
    );
  }
  try {
    await ctx.prisma.$transaction(writes);
    return true;
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2025") return false;
    throw err;
  }
}

/**
 * Stores the order's Checkout Session (never replacing another one) and, with a key, the
 * answer to replay, releasing the claim. False when the claim was taken over meanwhile; the
 * session is stored either way, since it is the order's one session.
 */
export async function recordSession(
  ctx: AppContext,
  input: { orderId: string; sessionId: string; url: string | null; expiresAt: Date; key?: KeyRow; status: number; body: object },
): Promise<boolean> {
  const writes = [
    ctx.prisma.order.updateMany({
      where: { id: input.orderId, OR: [{ stripeCheckoutSessionId: null }, { stripeCheckoutSessionId: input.sessionId }] },
      data: { stripeCheckoutSessionId: input.sessionId, checkoutUrl: input.url, checkoutExpiresAt: input.expiresAt },
    }),
  ];
  if (input.key) {
    writes.push(
      ctx.prisma.idempotencyKey.updateMany({
        where: claimHeld(input.key),
        data: { state: "completed", responseStatus: input.status, responseBody: input.body, lockedUntil: null },
      }),
    );
  }
  const [, completed] = await ctx.prisma.$transaction(writes);
  return completed === undefined || completed.count === 1;
}

/** A spent attempt: its order can never get a session. Only a `pending` order expires. */
export async function expireOrder(ctx: AppContext, orderId: string): Promise<void> {
  await ctx.prisma.order.updateMany({ where: { id: orderId, status: "pending" }, data: { status: "expired" } });
}

import { randomInt } from "node:crypto";
import type { AppContext } from "../../../src/context.js";
import { createBuyer, createProduct } from "../../helpers/payments.js";
import { sample } from "../../ops/prometheus.js";
import type { AppProcess } from "./app-process.js";
import { call, type Reply } from "./http.js";

export { createBuyer, createProduct };

/** POST /payments/checkout-session on an instance. */
export function checkout(
  instance: Pick<AppProcess, "url">,
  auth: string,
  items: { productId: string; quantity: number }[],
  idempotencyKey?: string,
  timeoutMs = 60_000,
): Promise<Reply> {
  return call(instance.url, {
    method: "POST",
    path: "/payments/checkout-session",
    headers: { authorization: auth, ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) },
    body: { items },
    timeoutMs,
  });
}

/** One sample of an instance's /metrics (0 when the series does not exist yet). */
export async function metric(instance: Pick<AppProcess, "url">, name: string, labels: Record<string, string> = {}): Promise<number> {
  const reply = await call(instance.url, { path: "/metrics" });
  return sample(reply.text, name, labels) ?? 0;
}

/** A client address of this test's own, sent as X-Forwarded-For behind TRUST_PROXY=127.0.0.1 (the test is the balancer). */
export function randomClientIp(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

export async function ordersOf(ctx: AppContext, userId: string) {
  return ctx.prisma.order.findMany({ where: { userId }, include: { items: true } });
}

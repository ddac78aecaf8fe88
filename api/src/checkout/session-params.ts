import type Stripe from "stripe";
import type { AppContext } from "../context.js";
import type { PricedCart } from "./pricing.js";

/**
 * The Checkout Session parameters of one order attempt, as the JSON text stored with the order.
 * Every attempt, the first included, parses and sends this text, so Stripe sees the same
 * parameters in the same order under the attempt's idempotency key.
 */
export function sessionParamsText(ctx: AppContext, orderId: string, cart: PricedCart, expiresAt: Date): string {
  const frontend = ctx.config.checkout.frontendUrl;
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: "payment",
    client_reference_id: orderId,
    metadata: { orderId },
    // Stripe copies the payment intent's metadata to its charges, so charge and refund events
    // can be matched to the order before the session's own event has linked them.
    payment_intent_data: { metadata: { orderId } },
    line_items: cart.lines.map((line) => ({
      quantity: line.quantity,
      price_data: {
        currency: cart.currency,
        unit_amount: line.unitAmount,
        product_data: { name: line.name, ...(line.description ? { description: line.description } : {}), metadata: { productId: line.productId } },
      },
    })),
    success_url: `${frontend}/checkout/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${frontend}/checkout/cancel?order_id=${orderId}`,
    expires_at: Math.floor(expiresAt.getTime() / 1000),
  };
  return JSON.stringify(params);
}

/** The stored text back as the SDK's parameters: keys in the stored order. */
export const parseSessionParams = (text: string) => JSON.parse(text) as Stripe.Checkout.SessionCreateParams;

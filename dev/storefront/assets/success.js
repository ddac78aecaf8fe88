import { api } from "./api.js";
import { el, errorBox, frame, requireSignIn } from "./layout.js";
import { orderSummary } from "./order-view.js";

const user = await frame("");
const main = document.querySelector("main");
const sessionId = new URLSearchParams(location.search).get("session_id");

const HEADLINES = {
  paid: ["Thank you for your order", "Your payment went through and the order is paid."],
  processing: ["Payment processing", "Your payment method takes a moment to confirm. This page updates by itself."],
  pending: ["Confirming your payment…", "We are waiting for Stripe to confirm the payment. This page updates by itself."],
  failed: ["The payment failed", "Your payment method was declined. Nothing was charged; you can try again from the shop."],
  expired: ["This checkout expired", "No payment was taken. Start again from the shop."],
  refunded: ["Order refunded", "This order was refunded."],
  partially_refunded: ["Order partly refunded", "Part of this order was refunded."],
};

function render(order) {
  const [headline, text] = HEADLINES[order.status] ?? ["Your order", ""];
  main.replaceChildren(
    el("h1", { "data-testid": "headline" }, headline),
    el("p", { class: "lead" }, text),
    orderSummary(order),
    el("p", { class: "actions" }, el("a", { href: "/orders", class: "button-secondary" }, "See your orders"), el("a", { href: "/", class: "button-quiet" }, "Continue shopping")),
  );
}

if (!sessionId) {
  main.replaceChildren(el("h1", {}, "Nothing to show"), el("p", {}, "This page is where Stripe sends you back after paying."));
} else if (!user) {
  requireSignIn();
} else {
  // The webhook may land after the browser does: while the order is not settled, ask again.
  // GET /payments/checkout-session/:id also asks Stripe itself, so this works even without webhooks.
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const { order } = await api(`/payments/checkout-session/${encodeURIComponent(sessionId)}`);
      render(order);
      if (!["pending", "processing"].includes(order.status) || Date.now() > deadline) break;
    } catch (error) {
      main.replaceChildren(el("h1", {}, "We could not load your order"), errorBox(error));
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

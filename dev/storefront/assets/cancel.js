import { api } from "./api.js";
import { el, errorBox, frame, requireSignIn } from "./layout.js";
import { orderSummary } from "./order-view.js";

const user = await frame("");
const main = document.querySelector("main");
const orderId = new URLSearchParams(location.search).get("order_id");

main.replaceChildren(
  el("h1", { "data-testid": "headline" }, "Checkout cancelled"),
  el("p", { class: "lead" }, "No payment was taken. Your order stays open until its checkout expires; you can simply buy again."),
);
if (!user) requireSignIn();
else if (orderId) {
  try {
    const { order } = await api(`/orders/${encodeURIComponent(orderId)}`);
    main.append(orderSummary(order));
  } catch (error) {
    main.append(errorBox(error));
  }
}
main.append(el("p", { class: "actions" }, el("a", { href: "/", class: "button-primary" }, "Back to the shop")));

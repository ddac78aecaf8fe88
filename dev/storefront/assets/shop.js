import { api, API_URL } from "./api.js";
import { el, errorBox, frame, money, requireSignIn } from "./layout.js";

// The catalogue needs no session: fetch it while the session is restored.
const products = fetch(`${API_URL}/products`);
products.catch(() => undefined); // handled below; this only stops an "unhandled rejection" while we wait
const user = await frame("shop");
const main = document.querySelector("main");
const grid = document.getElementById("products");

/** Starts Stripe Checkout for one product and goes to its hosted page. */
async function buy(product, quantity, button) {
  if (!user) return requireSignIn();
  button.disabled = true;
  button.textContent = "Going to checkout…";
  main.querySelector(".alert")?.remove();
  try {
    // One key per click: a retry of this same request (say, after a network error) replays the
    // first answer instead of creating a second order.
    const session = await api("/payments/checkout-session", {
      method: "POST",
      headers: { "idempotency-key": crypto.randomUUID() },
      body: { items: [{ productId: product.id, quantity }] },
    });
    location.assign(session.url);
  } catch (error) {
    if (error.status === 401) return requireSignIn();
    main.prepend(errorBox(error));
    button.disabled = false;
    button.textContent = "Buy";
  }
}

function card(product) {
  const quantity = el("select", { "aria-label": `Quantity of ${product.name}` }, ...[1, 2, 3, 4, 5].map((n) => el("option", { value: n }, `Qty ${n}`)));
  const button = el("button", { type: "button", class: "button-primary", "data-testid": "buy" }, "Buy");
  button.addEventListener("click", () => buy(product, Number(quantity.value), button));
  return el(
    "article",
    { class: "product", "data-testid": "product" },
    el("div", { class: "product-art", "aria-hidden": "true" }, product.name.slice(0, 1)),
    el("h2", {}, product.name),
    el("p", { class: "muted" }, product.description ?? ""),
    el("p", { class: "price" }, money(product.unitAmount, product.currency)),
    el("div", { class: "buy-row" }, quantity, button),
  );
}

try {
  const res = await products;
  if (!res.ok) throw new Error(`The catalogue could not be loaded (HTTP ${res.status}).`);
  const { data } = await res.json();
  grid.replaceChildren(...(data.length ? data.map(card) : [el("p", { class: "muted" }, "No products yet: run npm run db:seed.")]));
} catch (error) {
  grid.replaceChildren(errorBox(error));
}

import { api } from "./api.js";
import { el, errorBox, frame, requireSignIn } from "./layout.js";
import { orderSummary } from "./order-view.js";

const user = await frame("orders");
const list = document.getElementById("orders");
const more = el("button", { type: "button", class: "button-secondary", hidden: true }, "Show older orders");
list.after(more);

let cursor = null;
async function load() {
  more.disabled = true;
  try {
    const page = await api(`/orders${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (!cursor && page.data.length === 0) list.append(el("p", { class: "muted" }, "No orders yet. ", el("a", { href: "/" }, "Visit the shop.")));
    list.append(...page.data.map(orderSummary));
    cursor = page.nextCursor;
    more.hidden = !cursor;
  } catch (error) {
    list.append(errorBox(error));
  }
  more.disabled = false;
}

if (!user) requireSignIn();
else {
  more.addEventListener("click", load);
  await load();
}

import { currentSession, signOut } from "./api.js";

/** Builds an element; children are text or elements (never HTML strings: no injection). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === undefined || value === null) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

/** Minor units → "€24.90", with the currency's own number of decimals. */
export function money(amount, currency) {
  const code = currency.toUpperCase();
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions().maximumFractionDigits;
  return new Intl.NumberFormat("en-GB", { style: "currency", currency: code }).format(amount / 10 ** digits);
}

export function when(iso) {
  return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

export function statusBadge(status) {
  return el("span", { class: `badge badge-${status}`, "data-testid": "order-status" }, status.replaceAll("_", " "));
}

export function errorBox(error) {
  const fields = Object.entries(error.errors ?? {}).map(([field, messages]) => el("li", {}, `${field} ${messages.join(", ")}`));
  const reference = error.requestId ? el("div", { class: "reference" }, `Request ${error.requestId}`) : null;
  return el("div", { class: "alert alert-error", role: "alert" }, error.message, fields.length ? el("ul", {}, fields) : null, reference);
}

/** The shared page frame: sandbox banner, header with navigation and the session. */
export async function frame(active) {
  let user = null;
  try {
    user = await currentSession();
  } catch {
    user = null;
  }
  const link = (href, label, name) => el("a", { href, class: active === name ? "active" : undefined }, label);
  const account = user
    ? el(
        "div",
        { class: "account" },
        el("span", { class: "who", "data-testid": "signed-in-as" }, user.email),
        el("button", { type: "button", class: "button-quiet", onclick: async () => ((await signOut()), location.assign("/")) }, "Sign out"),
      )
    : el("div", { class: "account" }, el("a", { href: `/signin?next=${encodeURIComponent(location.pathname + location.search)}`, class: "button-quiet" }, "Sign in"));
  document.body.prepend(
    el("div", { class: "sandbox-banner" }, "Sandbox · test mode · payments go to the local Stripe stand-in, no real money moves"),
    el(
      "header",
      { class: "site-header" },
      el("a", { href: "/", class: "brand" }, el("span", { class: "brand-mark", "aria-hidden": "true" }, "●"), "Corner Roastery"),
      el("nav", {}, link("/", "Shop", "shop"), link("/orders", "Orders", "orders")),
      account,
    ),
  );
  return user;
}

/** Sends a signed-out visitor to the sign-in page and back here afterwards. */
export function requireSignIn() {
  location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
}

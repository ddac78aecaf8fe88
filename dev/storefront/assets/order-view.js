import { el, money, statusBadge, when } from "./layout.js";

/** An order as the API shapes it: lines, total, status. */
export function orderSummary(order) {
  const rows = order.items.map((item) =>
    el("tr", {}, el("td", {}, item.name, el("div", { class: "muted" }, `Qty ${item.quantity} × ${money(item.unitAmount, order.currency)}`)), el("td", { class: "num" }, money(item.unitAmount * item.quantity, order.currency))),
  );
  return el(
    "section",
    { class: "order-card", "data-testid": "order" },
    el("div", { class: "order-head" }, el("div", {}, el("div", { class: "muted" }, `Order ${order.id.slice(0, 8)} · ${when(order.createdAt)}`)), statusBadge(order.status)),
    el("table", { class: "lines" }, el("tbody", {}, rows, el("tr", { class: "total-row" }, el("td", {}, "Total"), el("td", { class: "num" }, money(order.amountTotal, order.currency))))),
    order.refundedAmount > 0 ? el("p", { class: "muted" }, `Refunded ${money(order.refundedAmount, order.currency)}`) : null,
  );
}

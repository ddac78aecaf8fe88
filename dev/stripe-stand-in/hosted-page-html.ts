import type { LineItemObject, SessionObject } from "./types.js";

/**
 * The hosted checkout page as plain server-rendered HTML: no scripts, no external assets.
 * Buttons post a form; the stand-in answers with a 303 to the session's URLs.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Minor units → "€45.48", using the currency's own number of decimals (¥ has none). */
export function formatMoney(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  return new Intl.NumberFormat("en-GB", { style: "currency", currency: code }).format(amount / 10 ** digits);
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f36;background:#f6f8fa}
.banner{background:#fff4e5;color:#8a4b00;text-align:center;font-size:13px;padding:6px}
main{max-width:880px;margin:40px auto;padding:0 20px;display:grid;grid-template-columns:1fr 1fr;gap:40px}
@media(max-width:720px){main{grid-template-columns:1fr}}
h1{font-size:18px;margin:0 0 4px;color:#697386;font-weight:500}.total{font-size:36px;font-weight:600;margin:0 0 24px}
table{width:100%;border-collapse:collapse}td{padding:10px 0;border-bottom:1px solid #e3e8ee;vertical-align:top}
td.num{text-align:right;white-space:nowrap}.muted{color:#697386;font-size:14px}
.panel{background:#fff;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.08);padding:24px}
.panel h2{font-size:16px;margin:0 0 16px}
button{display:block;width:100%;margin:0 0 12px;padding:12px;font:inherit;font-weight:600;border-radius:6px;border:1px solid #d0d5dd;background:#fff;cursor:pointer}
button.primary{background:#635bff;border-color:#635bff;color:#fff}button.link{border:none;background:none;color:#635bff;font-weight:500}
.notice{max-width:480px;margin:80px auto;text-align:center}.notice a{color:#635bff}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>
<div class="banner">Stripe stand-in · test mode · no real money moves</div>${body}</body></html>`;
}

export function checkoutPage(session: SessionObject, lines: LineItemObject[]): string {
  const currency = session.currency ?? "usd";
  const rows = lines
    .map(
      (line) => `<tr><td>${escapeHtml(line.description ?? "Item")}<div class="muted">Qty ${line.quantity ?? 1} × ${formatMoney(line.price?.unit_amount ?? 0, currency)}</div></td>
<td class="num">${formatMoney(line.amount_total, currency)}</td></tr>`,
    )
    .join("");
  const expires = new Date(session.expires_at * 1000).toISOString().replace("T", " ").slice(0, 16);
  return page(
    "Checkout",
    `<main>
<section aria-label="Order summary"><h1>Pay</h1><p class="total" data-testid="total">${formatMoney(session.amount_total ?? 0, currency)}</p>
<table data-testid="line-items">${rows}<tr><td><strong>Total due</strong></td><td class="num"><strong>${formatMoney(session.amount_total ?? 0, currency)}</strong></td></tr></table>
<p class="muted">Session ${escapeHtml(session.id.slice(0, 20))}… · open until ${expires} UTC</p></section>
<section class="panel" aria-label="Payment"><h2>Choose how the payment goes</h2>
<form method="post" action="/c/pay/${encodeURIComponent(session.id)}">
<button class="primary" name="action" value="pay">Pay</button>
<button name="action" value="delayed_success">Pay by delayed method → succeeds</button>
<button name="action" value="delayed_failure">Pay by delayed method → fails</button>
<button class="link" name="action" value="cancel">Cancel and return</button>
</form><p class="muted">A card payment completes at once. A delayed method (like a bank debit) completes now as unpaid and settles a few seconds later.</p></section>
</main>`,
  );
}

export function noticePage(title: string, message: string, link?: { href: string; label: string }, status = 200): { status: number; html: string } {
  const action = link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>` : "";
  return { status, html: page(title, `<div class="notice"><h2>${escapeHtml(title)}</h2><p>${escapeHtml(message)}</p>${action}</div>`) };
}

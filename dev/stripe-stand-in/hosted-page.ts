import type { ServerResponse } from "node:http";
import type { Logger } from "../../api/src/platform/logger.js";
import type { FormObject } from "./form.js";
import { checkoutPage, noticePage } from "./hosted-page-html.js";
import { completeSessionNow, settleDelayedNow } from "./payment-flows.js";
import type { PageHandler } from "./server.js";
import type { StandInState } from "./state.js";
import type { SessionObject, StandInEvent } from "./types.js";

export interface PageDeps {
  state: StandInState;
  /** Runs a payment flow and queues its events for delivery. */
  flow: (make: () => StandInEvent[]) => Promise<StandInEvent[]>;
  /** How long (real time) a delayed method takes to settle after the buyer pays. */
  delayedSettlementMs: number;
  logger: Logger;
}

export interface HostedPages {
  handle: PageHandler;
  /** Cancels settlements still waiting. */
  close(): void;
}

const PAGE_PATH = /^\/c\/pay\/([^/]+)\/?$/;

/**
 * Stripe's hosted checkout, reduced to the four outcomes a developer wants to try. Paying
 * changes the session at once and emits its events; they are delivered in the background, as
 * Stripe does, so the success page may well load before the webhook arrives (the API's
 * success-page sync exists for exactly that). Then a 303 to the session's URL.
 */
export function createHostedPages(deps: PageDeps): HostedPages {
  const timers = new Set<NodeJS.Timeout>();

  const handle: PageHandler = async (req, res, path, form) => {
    const match = PAGE_PATH.exec(path);
    if (!match) return false;
    const session = deps.state.sessions.get(decodeURIComponent(match[1]!));
    if (!session) return sendHtml(res, noticePage("Checkout not found", "This checkout link is not valid.", undefined, 404)), true;
    if (req.method === "GET" || req.method === "HEAD") return sendHtml(res, showPage(deps, session)), true;
    if (req.method !== "POST") return sendHtml(res, noticePage("Not allowed", "Use the buttons on the checkout page.", undefined, 405)), true;
    act(session, form);
    return true;

    function act(s: SessionObject, body: FormObject): void {
      const action = typeof body.action === "string" ? body.action : "";
      if (action === "cancel") return redirect(res, s.cancel_url ?? `/c/pay/${s.id}`);
      if (s.status !== "open") return sendHtml(res, showPage(deps, s));
      if (action === "pay") void deps.flow(() => completeSessionNow(deps.state, s, "paid")).catch(logFailure);
      else if (action === "delayed_success" || action === "delayed_failure") {
        void deps.flow(() => completeSessionNow(deps.state, s, "delayed")).catch(logFailure);
        scheduleSettlement(s, action === "delayed_success" ? "succeeded" : "failed");
      } else return sendHtml(res, noticePage("Unknown action", "Use the buttons on the checkout page.", { href: `/c/pay/${s.id}`, label: "Back to checkout" }, 400));
      return redirect(res, successTarget(s));
    }
  };

  const logFailure = (err: unknown) => deps.logger.error({ err }, "hosted checkout flow failed");

  function scheduleSettlement(session: SessionObject, outcome: "succeeded" | "failed") {
    const timer = setTimeout(() => {
      timers.delete(timer);
      deps.flow(() => settleDelayedNow(deps.state, session, outcome)).catch(logFailure);
    }, deps.delayedSettlementMs);
    timers.add(timer);
  }

  return {
    handle,
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

function showPage(deps: PageDeps, session: SessionObject): { status: number; html: string } {
  if (session.status === "open") return { status: 200, html: checkoutPage(session, deps.state.lineItems.get(session.id) ?? []) };
  if (session.status === "expired") {
    return noticePage("This checkout has expired", "Start again from the shop to get a new checkout.", session.cancel_url ? { href: session.cancel_url, label: "Back to the shop" } : undefined);
  }
  return noticePage("Already paid", "This checkout is complete.", { href: successTarget(session), label: "Continue" });
}

/** `success_url` with `{CHECKOUT_SESSION_ID}` filled in, as Stripe does. */
function successTarget(session: SessionObject): string {
  return session.success_url ? session.success_url.replaceAll("{CHECKOUT_SESSION_ID}", session.id) : `/c/pay/${session.id}`;
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, "cache-control": "no-store", "content-length": 0 });
  res.end();
}

function sendHtml(res: ServerResponse, page: { status: number; html: string }): void {
  res.writeHead(page.status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(page.html),
    "cache-control": "no-store",
    // No scripts and no external assets: the page needs nothing beyond its own inline style.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action *",
  });
  res.end(page.html);
}

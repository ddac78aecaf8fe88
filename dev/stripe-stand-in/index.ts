import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock, type Clock } from "../../api/src/platform/clock.js";
import { createLogger, type Logger } from "../../api/src/platform/logger.js";
import { FaultList, type Fault } from "./faults.js";
import { createHostedPages } from "./hosted-page.js";
import { IdempotencyCache } from "./idempotency.js";
import { completeSessionNow, expireSessionNow, FlowError, settleDelayedNow, sweepExpiredNow } from "./payment-flows.js";
import { failRefundNow, settleRefundNow } from "./refunds.js";
import { createRequestListener } from "./server.js";
import { StandInState } from "./state.js";
import type { ChargeObject, DeliveryRecord, PaymentIntentObject, RecordedRequest, RefundObject, SessionObject, StandInEvent, WebhookEndpointObject } from "./types.js";
import { Deliverer, signEvent, type SignedDelivery } from "./webhooks.js";

export type { Fault } from "./faults.js";
export type * from "./types.js";
export { FlowError } from "./payment-flows.js";
export { STAND_IN_API_VERSION } from "./state.js";

/** The signing secret used when none is given (the sandbox passes the API's own). */
export const DEFAULT_WEBHOOK_SECRET = "whsec_standInDefaultSigningSecret0000";

export interface StripeStandInOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Signs every delivery (`whsec_…`), like `stripe listen` does with its secret. */
  webhookSecret?: string;
  /** Where events are POSTed as they happen; without it they are only recorded. */
  webhookUrl?: string;
  /** The stand-in's notion of now: `created`, `expires_at` rules, expiry sweeps, signature timestamps. */
  clock?: Clock;
  logger?: Logger;
  /** Base URL of the hosted checkout pages as a browser reaches them (default: `url`). */
  publicUrl?: string;
  /** Run `sweepExpired()` this often (real time). Off by default; the CLI turns it on. */
  sweepIntervalMs?: number;
  /** After a hosted-page "delayed" payment, settle it this many ms later (real time). Default 3000. */
  delayedSettlementMs?: number;
  /**
   * Default true. False leaves `requests` empty: a load run (`npm run bench`) sends tens of
   * thousands of requests, and holding each one would only grow the stand-in's heap.
   */
  recordRequests?: boolean;
}

export interface StripeStandIn {
  /** Base URL for `STRIPE_API_URL`, e.g. `http://127.0.0.1:43121`. */
  readonly url: string;
  /** Every request received, oldest first (none with `recordRequests: false`). */
  readonly requests: RecordedRequest[];
  readonly sessions: Map<string, SessionObject>;
  readonly paymentIntents: Map<string, PaymentIntentObject>;
  readonly charges: Map<string, ChargeObject>;
  readonly refunds: Map<string, RefundObject>;
  readonly webhookEndpoints: Map<string, WebhookEndpointObject>;
  /** Every event it emitted, oldest first. */
  readonly events: StandInEvent[];
  /** Every webhook POST it made (automatic or through `deliver`), oldest first. */
  readonly deliveries: DeliveryRecord[];
  injectFault(fault: Fault): void;
  clearFaults(): void;
  setWebhookUrl(url: string | undefined): void;
  /** `paid`: `checkout.session.completed` with `payment_status: paid`; `delayed`: completed, `unpaid`, PaymentIntent `processing`. */
  completeSession(id: string, outcome?: "paid" | "delayed"): Promise<StandInEvent[]>;
  /** Settles a delayed payment: `checkout.session.async_payment_succeeded` or `_failed`. */
  settleDelayed(id: string, outcome: "succeeded" | "failed"): Promise<StandInEvent[]>;
  /** `checkout.session.expired` for an open session. */
  expireSession(id: string): Promise<StandInEvent[]>;
  /** Expires every open session whose `expires_at` has passed by the clock. */
  sweepExpired(): Promise<StandInEvent[]>;
  /** The next `POST /v1/refunds` creates a `pending` refund (settle or fail it later). */
  holdNextRefund(): void;
  /** A pending or succeeded refund fails: `charge.refund.updated`, `refund.updated`, `refund.failed`. */
  failRefund(id: string, failureReason?: string): Promise<StandInEvent[]>;
  /** A pending refund succeeds: `charge.refund.updated`, `refund.updated`. */
  settleRefund(id: string): Promise<StandInEvent[]>;
  /** Records an event with a snapshot of `object`, without delivering it. */
  createEvent(type: string, object: object): StandInEvent;
  /** The body and headers Stripe would send for `event`, signed with the stand-in's (or the given) secret. */
  signedDelivery(event: object, opts?: { timestamp?: number; secret?: string }): SignedDelivery;
  /** POSTs the signed event to `url` (default: the webhook URL); call again to redeliver. Status 0: no connection. */
  deliver(event: StandInEvent, url?: string): Promise<{ status: number; body: string }>;
  /** Resolves once every automatic delivery queued so far has been attempted. */
  deliveriesSettled(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the stand-in on `host:port` (default a free port on 127.0.0.1). */
export async function startStripeStandIn(options: StripeStandInOptions = {}): Promise<StripeStandIn> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: "silent", name: "stripe-stand-in" });
  const secret = options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET;
  const state = new StandInState(clock);
  const faults = new FaultList();
  const requests: RecordedRequest[] = [];
  const deliverer = new Deliverer(clock, logger, () => secret);
  let webhookUrl = options.webhookUrl;
  state.webhookTargets = webhookUrl ? 1 : 0;
  let baseUrl = "";
  let publicUrl = "";

  const deliverNow = (events: StandInEvent[]) => deliverer.enqueue(events, webhookUrl).then(() => events);
  const flow = (make: () => StandInEvent[]) => {
    try {
      return deliverNow(make());
    } catch (err) {
      return Promise.reject(err);
    }
  };
  const session = (id: string) => {
    const found = state.sessions.get(id);
    if (!found) throw new FlowError(`no checkout session ${id}`);
    return found;
  };

  const standIn: StripeStandIn = {
    get url() {
      return baseUrl;
    },
    requests,
    sessions: state.sessions,
    paymentIntents: state.paymentIntents,
    charges: state.charges,
    refunds: state.refunds,
    webhookEndpoints: state.webhookEndpoints,
    events: state.events,
    deliveries: deliverer.deliveries,
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    setWebhookUrl(url) {
      webhookUrl = url;
      state.webhookTargets = url ? 1 : 0;
    },
    completeSession: (id, outcome = "paid") => flow(() => completeSessionNow(state, session(id), outcome)),
    settleDelayed: (id, outcome) => flow(() => settleDelayedNow(state, session(id), outcome)),
    expireSession: (id) => flow(() => expireSessionNow(state, session(id))),
    sweepExpired: () => flow(() => sweepExpiredNow(state)),
    holdNextRefund() {
      state.holdNextRefund = true;
    },
    failRefund: (id, failureReason) => flow(() => failRefundNow(state, id, failureReason)),
    settleRefund: (id) => flow(() => settleRefundNow(state, id)),
    createEvent: (type, object) => state.emit(type, object),
    signedDelivery: (event, opts = {}) => signEvent(event, opts.secret ?? secret, opts.timestamp ?? Math.floor(clock.now().getTime() / 1000)),
    async deliver(event, url) {
      const target = url ?? webhookUrl;
      if (!target) throw new Error("no webhook URL: pass one or call setWebhookUrl()");
      return deliverer.post(event, target);
    },
    deliveriesSettled: () => deliverer.idle(),
    async close() {
      clearInterval(sweeper);
      pages.close();
      await closeServer(server);
      await deliverer.idle();
    },
  };

  const pages = createHostedPages({ state, flow, delayedSettlementMs: options.delayedSettlementMs ?? 3000, logger });
  const server = createServer(
    createRequestListener({
      state,
      faults,
      idempotency: new IdempotencyCache(clock),
      ...(options.recordRequests === false ? {} : { requests }),
      logger,
      publicUrl: () => publicUrl,
      emitted: (events) => void deliverNow(events),
      pages: pages.handle,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;
  publicUrl = (options.publicUrl ?? baseUrl).replace(/\/+$/, "");
  const sweeper = options.sweepIntervalMs
    ? setInterval(() => void standIn.sweepExpired().catch((err: unknown) => logger.error({ err }, "expiry sweep failed")), options.sweepIntervalMs)
    : undefined;
  sweeper?.unref();
  logger.info({ url: baseUrl, publicUrl, webhookUrl }, "stripe stand-in listening");
  return standIn;
}

/** Stops listening and cuts kept-alive connections (the SDK keeps its sockets open). */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../api/src/platform/logger.js";
import { checkoutSessionRoutes } from "./checkout-sessions.js";
import { StripeApiError, unrecognizedUrl } from "./errors.js";
import { eventRoutes } from "./events-endpoints.js";
import { faultBody, type Fault, type FaultList } from "./faults.js";
import { parseForm, type FormObject } from "./form.js";
import type { IdempotencyCache, StoredAnswer } from "./idempotency.js";
import { refundRoutes } from "./refunds.js";
import { matchRoute, type ApiResult, type EndpointContext, type Route } from "./routing.js";
import { newId, STAND_IN_API_VERSION, type StandInState } from "./state.js";
import type { RecordedRequest, StandInEvent } from "./types.js";

const MAX_BODY_BYTES = 1024 * 1024;
const routes: Route[] = [...checkoutSessionRoutes, ...refundRoutes, ...eventRoutes];

/** A page of the stand-in that is not part of Stripe's API (the hosted checkout). Answers false when it is not its path. */
export type PageHandler = (req: IncomingMessage, res: ServerResponse, path: string, form: FormObject) => Promise<boolean>;

export interface ServerDeps {
  state: StandInState;
  faults: FaultList;
  idempotency: IdempotencyCache;
  /** Where each request is recorded; absent when recording is off (`recordRequests: false`). */
  requests?: RecordedRequest[];
  logger: Logger;
  publicUrl: () => string;
  /** Hands events that endpoint logic emitted to delivery (not awaited: Stripe answers first). */
  emitted: (events: StandInEvent[]) => void;
  pages: PageHandler;
}

/** The request listener: record, inject faults, authenticate, replay or run endpoint logic. */
export function createRequestListener(deps: ServerDeps) {
  return (req: IncomingMessage, res: ServerResponse) => {
    handle(deps, req, res).catch((err: unknown) => {
      deps.logger.error({ err }, "stand-in failed to answer");
      if (!res.headersSent) send(res, 500, { error: { type: "api_error", message: "The stand-in failed unexpectedly." } }, {});
      else res.destroy();
    });
  };
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", "http://stand-in.local");
  const path = url.pathname;
  const raw = await readBody(req);
  if (raw === undefined) return send(res, 413, { error: { type: "invalid_request_error", message: "Request body too large." } }, {});
  const isForm = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
  const body = isForm || raw === "" ? parseForm(raw) : {};
  const query = parseForm(url.search.slice(1));
  const idempotencyKey = header(req, "idempotency-key");
  deps.requests?.push({
    method,
    path,
    query,
    ...(idempotencyKey ? { idempotencyKey } : {}),
    body,
    rawBody: raw,
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")])),
    at: deps.state.clock.now(),
  });

  const fault = deps.faults.take("before", method, path);
  if (fault?.latencyMs) await sleep(fault.latencyMs);
  if (fault && !fault.afterProcessing && (fault.drop || fault.status)) return answerWithFault(res, fault);

  if (!path.startsWith("/v1/")) {
    if (await deps.pages(req, res, path, body)) return;
    return send(res, 404, unrecognizedUrl(method, path).toJSON(), {});
  }

  const requestId = newId("req_", 14);
  const headers: Record<string, string> = {
    "request-id": requestId,
    "stripe-version": header(req, "stripe-version") ?? STAND_IN_API_VERSION,
    ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
  };
  const apiKey = authenticate(req);
  if (apiKey instanceof StripeApiError) return send(res, apiKey.status, apiKey.toJSON(), headers);

  const endpoint = `${method} ${path}`;
  // Stripe ignores Idempotency-Key on GET and DELETE.
  const keyed = method === "POST" && idempotencyKey !== undefined;
  if (keyed) {
    const found = deps.idempotency.lookup(apiKey, idempotencyKey, endpoint, body);
    if (found.kind === "replay") {
      if (fault?.afterProcessing) return answerWithFault(res, fault);
      return send(res, found.answer.status, found.answer.body, { ...headers, ...found.answer.headers, "idempotent-replayed": "true" });
    }
    if (found.kind === "mismatch") {
      const message = found.sameEndpoint
        ? `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`
        : `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${found.firstEndpoint}' vs '${endpoint}'). Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`;
      return send(res, 400, { error: { type: "idempotency_error", message } }, headers);
    }
  }

  const firstNewEvent = deps.state.events.length;
  const saved = deps.faults.take("saved", method, path);
  const answer: StoredAnswer = saved && !saved.omitFields ? savedError() : run(deps, { method, path, body, query, requestId, idempotencyKey: idempotencyKey ?? null });
  if (saved?.omitFields) answer.body = withoutFields(answer.body, saved.omitFields);
  if (keyed) deps.idempotency.store(apiKey, idempotencyKey, endpoint, body, answer);
  deps.emitted(deps.state.events.slice(firstNewEvent));
  if (fault?.afterProcessing) return answerWithFault(res, fault);
  if (saved?.drop) return void res.socket?.destroy();
  return send(res, answer.status, answer.body, { ...headers, ...answer.headers });
}

/**
 * A 500 from Stripe's logic: saved under the key like any answer. Stripe marks such errors
 * `Stripe-Should-Retry: false`, since a retry with the key would only get the same answer.
 */
function savedError(): StoredAnswer {
  return { status: 500, body: faultBody(500), headers: { "stripe-should-retry": "false" } };
}

function withoutFields(body: unknown, fields: string[]): unknown {
  if (!body || typeof body !== "object") return body;
  return Object.fromEntries(Object.entries(body).filter(([name]) => !fields.includes(name)));
}

function run(deps: ServerDeps, req: { method: string; path: string; body: FormObject; query: FormObject; requestId: string; idempotencyKey: string | null }): ApiResult {
  const matched = matchRoute(routes, req.method, req.path);
  const ctx: EndpointContext = { state: deps.state, publicUrl: deps.publicUrl() };
  try {
    if (!matched) throw unrecognizedUrl(req.method, req.path);
    return matched.route.handler({ ...req, params: matched.params }, ctx);
  } catch (err) {
    if (err instanceof StripeApiError) return { status: err.status, body: err.toJSON() };
    throw err;
  }
}

/** `Authorization: Bearer sk_test_…` (or HTTP Basic with the key as user name, as curl sends it). Test-mode keys only. */
function authenticate(req: IncomingMessage): string | StripeApiError {
  const auth = header(req, "authorization") ?? "";
  let key = "";
  if (/^bearer /i.test(auth)) key = auth.slice(7).trim();
  else if (/^basic /i.test(auth)) key = Buffer.from(auth.slice(6).trim(), "base64").toString("utf8").split(":")[0] ?? "";
  if (key === "") {
    return new StripeApiError(401, {
      type: "invalid_request_error",
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    });
  }
  if (!/^(sk|rk)_test_\S+$/.test(key)) {
    return new StripeApiError(401, { type: "invalid_request_error", message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}` });
  }
  return key;
}

function answerWithFault(res: ServerResponse, fault: Fault): void {
  if (fault.drop) {
    res.socket?.destroy();
    return;
  }
  const status = fault.status ?? 500;
  const headers: Record<string, string> = { "request-id": newId("req_", 14) };
  if (fault.shouldRetry !== undefined) headers["stripe-should-retry"] = String(fault.shouldRetry);
  send(res, status, faultBody(status), headers);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-cache, no-store" });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

import { invalidRequest, noSuchResource, StripeApiError } from "./errors.js";
import type { FormObject } from "./form.js";
import { expandList, listParams, metadataParam, optionalInt, optionalObject, optionalString, rejectUnknown, requiredInt, requiredObject, requiredString, stringList } from "./params.js";
import { expireSessionNow } from "./payment-flows.js";
import { paginate, route, type ApiRequest, type EndpointContext, type Route } from "./routing.js";
import { buildLineItem, buildSession } from "./session-objects.js";
import { newId } from "./state.js";
import type { LineItemObject, SessionObject } from "./types.js";

const CREATE_PARAMS = [
  "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "metadata", "expires_at",
  "customer_email", "payment_method_types", "payment_intent_data", "locale", "expand", "submit_type",
] as const;

/** Stripe's smallest chargeable amounts for a few currencies (minor units); others use 50. */
const MINIMUM_AMOUNT: Record<string, number> = { usd: 50, eur: 50, gbp: 30, chf: 50, cad: 50, aud: 50, jpy: 50, sek: 300, nok: 300, dkk: 250 };
/** Stripe accepts at most eight digits in the minor unit. */
const MAXIMUM_AMOUNT = 99_999_999;

const MIN_TTL_SECONDS = 30 * 60;
const MAX_TTL_SECONDS = 24 * 60 * 60;

export const checkoutSessionRoutes: Route[] = [
  route("POST", "/v1/checkout/sessions", createSession),
  route("GET", "/v1/checkout/sessions", listSessions),
  route("GET", "/v1/checkout/sessions/:id", (req, ctx) => ({ status: 200, body: render(findSession(ctx, req.params.id!), ctx, expandList(req.query)) })),
  route("POST", "/v1/checkout/sessions/:id/expire", (req, ctx) => {
    rejectUnknown(req.body, ["expand"]);
    const session = findSession(ctx, req.params.id!);
    if (session.status !== "open") {
      throw invalidRequest(`Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`);
    }
    expireSessionNow(ctx.state, session, { requestId: req.requestId, idempotencyKey: req.idempotencyKey });
    return { status: 200, body: render(session, ctx, expandList(req.body)) };
  }),
  route("GET", "/v1/checkout/sessions/:id/line_items", (req, ctx) => {
    const session = findSession(ctx, req.params.id!);
    return { status: 200, body: paginate(ctx.state.lineItems.get(session.id) ?? [], listParams(req.query), `/v1/checkout/sessions/${session.id}/line_items`) };
  }),
];

function findSession(ctx: EndpointContext, id: string): SessionObject {
  const session = ctx.state.sessions.get(id);
  if (!session) throw noSuchResource("checkout.session", id, "session");
  return session;
}

/** The session as the API returns it, with `line_items` and `payment_intent` expanded on request. */
function render(session: SessionObject, ctx: EndpointContext, expand: string[]): object {
  const out: Record<string, unknown> = { ...session };
  if (expand.includes("line_items")) {
    out.line_items = paginate(ctx.state.lineItems.get(session.id) ?? [], { limit: 100 }, `/v1/checkout/sessions/${session.id}/line_items`);
  }
  if (expand.includes("payment_intent") && typeof session.payment_intent === "string") {
    out.payment_intent = ctx.state.paymentIntents.get(session.payment_intent) ?? session.payment_intent;
  }
  return out;
}

function listSessions(req: ApiRequest, ctx: EndpointContext) {
  const paymentIntent = optionalString(req.query, "payment_intent");
  const sessions = [...ctx.state.sessions.values()]
    .filter((s) => !paymentIntent || s.payment_intent === paymentIntent)
    .reverse();
  return { status: 200, body: paginate(sessions, listParams(req.query), "/v1/checkout/sessions") };
}

function createSession(req: ApiRequest, ctx: EndpointContext) {
  const body = req.body;
  rejectUnknown(body, CREATE_PARAMS);
  const now = ctx.state.now();
  const mode = requiredString(body, "mode");
  if (mode !== "payment") throw invalidRequest(`The stand-in supports mode "payment" only, not "${mode}".`, "mode", "parameter_invalid_string");

  const rawLines = body.line_items;
  if (rawLines === undefined) throw invalidRequest("You must provide at least one line item.", "line_items", "parameter_missing");
  if (!Array.isArray(rawLines) || rawLines.length === 0) throw invalidRequest("You must provide at least one line item.", "line_items");
  if (rawLines.length > 100) throw invalidRequest("You may only specify up to 100 line items.", "line_items");
  const lines = rawLines.map((raw, i) => parseLine(raw, i, now));

  const currency = lines[0]!.currency;
  lines.forEach((line, i) => {
    if (line.currency !== currency) {
      throw invalidRequest("All line items must have the same currency. Checkout Sessions cannot have prices in multiple currencies.", `line_items[${i}][price_data][currency]`);
    }
  });
  const amountTotal = lines.reduce((sum, line) => sum + line.amount_total, 0);
  const minimum = MINIMUM_AMOUNT[currency] ?? 50;
  if (amountTotal < minimum) {
    throw invalidRequest(`The Checkout Session's total amount due must add up to at least ${minimum} in the currency's minor unit (${currency}).`, undefined, "amount_too_small");
  }
  if (amountTotal > MAXIMUM_AMOUNT) {
    throw invalidRequest(`The Checkout Session's total amount due must be no more than ${MAXIMUM_AMOUNT} in the currency's minor unit (${currency}).`, undefined, "amount_too_large");
  }

  const expiresAt = optionalInt(body, "expires_at") ?? now + MAX_TTL_SECONDS;
  if (expiresAt < now + MIN_TTL_SECONDS) {
    throw invalidRequest("The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.", "expires_at");
  }
  if (expiresAt > now + MAX_TTL_SECONDS) {
    throw invalidRequest("The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.", "expires_at");
  }

  const clientReferenceId = optionalString(body, "client_reference_id") ?? null;
  if (clientReferenceId !== null && clientReferenceId.length > 200) {
    throw invalidRequest("client_reference_id must be at most 200 characters.", "client_reference_id");
  }
  const paymentIntentData = optionalObject(body, "payment_intent_data");
  if (paymentIntentData) rejectUnknown(paymentIntentData, ["metadata", "description"], "payment_intent_data");

  const id = newId("cs_test_", 58);
  const session = buildSession({
    id,
    created: now,
    expiresAt,
    currency,
    amountTotal,
    successUrl: urlParam(body, "success_url"),
    cancelUrl: urlParam(body, "cancel_url"),
    clientReferenceId,
    customerEmail: optionalString(body, "customer_email") ?? null,
    metadata: metadataParam(body) ?? {},
    paymentMethodTypes: stringList(body, "payment_method_types") ?? ["card"],
    locale: optionalString(body, "locale") ?? null,
    url: `${ctx.publicUrl}/c/pay/${id}`,
  });
  ctx.state.sessions.set(id, session);
  ctx.state.lineItems.set(id, lines);
  ctx.state.paymentIntentData.set(id, {
    metadata: paymentIntentData ? (metadataParam(paymentIntentData) ?? {}) : {},
    description: paymentIntentData ? (optionalString(paymentIntentData, "description") ?? null) : null,
  });
  return { status: 200, body: render(session, ctx, expandList(body)) };
}

function urlParam(body: FormObject, key: string): string | null {
  const value = optionalString(body, key);
  if (value === undefined) return null;
  if (!URL.canParse(value)) throw invalidRequest("Not a valid URL", key, "url_invalid");
  return value;
}

function parseLine(raw: unknown, i: number, now: number): LineItemObject {
  const at = `line_items[${i}]`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalidRequest(`Invalid hash: ${at} must be a hash.`, at);
  const line = raw as FormObject;
  rejectUnknown(line, ["price_data", "quantity", "price"], at);
  if (line.price !== undefined) throw new StripeApiError(400, { type: "invalid_request_error", code: "resource_missing", param: `${at}[price]`, message: `No such price: '${String(line.price)}'` });
  const priceData = requiredObject(line, "price_data", `${at}[price_data]`);
  rejectUnknown(priceData, ["currency", "unit_amount", "product_data", "product"], `${at}[price_data]`);
  if (priceData.product !== undefined) throw invalidRequest(`No such product: '${String(priceData.product)}'`, `${at}[price_data][product]`, "resource_missing");
  const currency = requiredString(priceData, "currency", `${at}[price_data][currency]`).toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, `${at}[price_data][currency]`);
  const unitAmount = requiredInt(priceData, "unit_amount", `${at}[price_data][unit_amount]`);
  if (unitAmount < 0) throw invalidRequest("This value must be greater than or equal to 0.", `${at}[price_data][unit_amount]`, "parameter_invalid_integer");
  const product = requiredObject(priceData, "product_data", `${at}[price_data][product_data]`);
  rejectUnknown(product, ["name", "description", "metadata", "images"], `${at}[price_data][product_data]`);
  optionalString(product, "description", `${at}[price_data][product_data][description]`);
  metadataParam(product);
  const quantity = requiredInt(line, "quantity", `${at}[quantity]`);
  if (quantity < 1 || quantity > 999_999) throw invalidRequest("Quantity must be between 1 and 999999.", `${at}[quantity]`, "parameter_invalid_integer");
  return buildLineItem({
    currency,
    unitAmount,
    quantity,
    name: requiredString(product, "name", `${at}[price_data][product_data][name]`),
    created: now,
  });
}

import { invalidRequest, missingParam, noSuchResource } from "./errors.js";
import { listParams, metadataParam, optionalInt, optionalString, rejectUnknown } from "./params.js";
import { paginate, route, type ApiRequest, type EndpointContext, type Route } from "./routing.js";
import { newId, type EventCause, type StandInState } from "./state.js";
import type { ChargeObject, RefundObject, StandInEvent } from "./types.js";
import { FlowError } from "./payment-flows.js";

const REASONS = ["duplicate", "fraudulent", "requested_by_customer"] as const;

export const refundRoutes: Route[] = [
  route("POST", "/v1/refunds", createRefund),
  route("GET", "/v1/refunds", (req, ctx) => {
    const query = req.query;
    rejectUnknown(query, ["payment_intent", "charge", "limit", "starting_after", "ending_before", "expand"]);
    const paymentIntent = optionalString(query, "payment_intent");
    const chargeId = optionalString(query, "charge");
    const all = [...ctx.state.refunds.values()]
      .filter((r) => (!paymentIntent || r.payment_intent === paymentIntent) && (!chargeId || r.charge === chargeId))
      .reverse()
      .sort((a, b) => b.created - a.created);
    return { status: 200, body: paginate(all, listParams(query), "/v1/refunds") };
  }),
  route("GET", "/v1/refunds/:id", (req, ctx) => {
    const refund = ctx.state.refunds.get(req.params.id!);
    if (!refund) throw noSuchResource("refund", req.params.id!);
    return { status: 200, body: refund };
  }),
  route("GET", "/v1/payment_intents/:id", (req, ctx) => {
    const paymentIntent = ctx.state.paymentIntents.get(req.params.id!);
    if (!paymentIntent) throw noSuchResource("payment_intent", req.params.id!, "intent");
    return { status: 200, body: paymentIntent };
  }),
  route("GET", "/v1/charges/:id", (req, ctx) => {
    const charge = ctx.state.charges.get(req.params.id!);
    if (!charge) throw noSuchResource("charge", req.params.id!);
    return { status: 200, body: charge };
  }),
];

function createRefund(req: ApiRequest, ctx: EndpointContext) {
  const { state } = ctx;
  const body = req.body;
  rejectUnknown(body, ["payment_intent", "charge", "amount", "reason", "metadata", "expand"]);
  const paymentIntentId = optionalString(body, "payment_intent");
  const chargeId = optionalString(body, "charge");
  if (!paymentIntentId && !chargeId) throw missingParam("payment_intent");
  if (paymentIntentId && chargeId) throw invalidRequest("You can only pass one of `charge` or `payment_intent`.", "charge");

  let charge: ChargeObject | undefined;
  if (paymentIntentId) {
    const paymentIntent = state.paymentIntents.get(paymentIntentId);
    if (!paymentIntent) throw noSuchResource("payment_intent", paymentIntentId, "payment_intent");
    charge = state.chargeOfPaymentIntent(paymentIntentId);
    if (!charge || charge.status !== "succeeded") {
      throw invalidRequest(`This PaymentIntent (${paymentIntentId}) does not have a successful charge to refund.`, "payment_intent", "charge_not_refundable");
    }
  } else {
    charge = state.charges.get(chargeId!);
    if (!charge) throw noSuchResource("charge", chargeId!, "charge");
    if (charge.status !== "succeeded") throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, "charge", "charge_not_refundable");
  }

  const rest = charge.amount - charge.amount_refunded;
  if (rest <= 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, undefined, "charge_already_refunded");
  const amount = optionalInt(body, "amount") ?? rest;
  if (amount <= 0) throw invalidRequest("Invalid positive integer", "amount", "parameter_invalid_integer");
  if (amount > rest) {
    throw invalidRequest(
      `Refund amount (${formatMinor(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatMinor(rest, charge.currency)})`,
      "amount",
      "amount_too_large",
    );
  }
  const reason = optionalString(body, "reason");
  if (reason !== undefined && !(REASONS as readonly string[]).includes(reason)) {
    throw invalidRequest(`Invalid reason: must be one of ${REASONS.join(", ")}`, "reason", "parameter_invalid_string");
  }

  const pending = state.holdNextRefund;
  state.holdNextRefund = false;
  const refund: RefundObject = {
    id: newId("re_"),
    object: "refund",
    amount,
    balance_transaction: pending ? null : newId("txn_"),
    charge: charge.id,
    created: state.now(),
    currency: charge.currency,
    metadata: metadataParam(body) ?? {},
    payment_intent: charge.payment_intent,
    reason: (reason as RefundObject["reason"]) ?? null,
    receipt_number: null,
    status: pending ? "pending" : "succeeded",
  };
  state.refunds.set(refund.id, refund);
  // A pending refund already counts in `amount_refunded`; it is given back if the refund fails.
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount;
  const cause: EventCause = { requestId: req.requestId, idempotencyKey: req.idempotencyKey };
  state.emit("refund.created", refund, cause);
  // Since API version 2022-11-15 a charge no longer embeds its refunds: consumers list them.
  state.emit("charge.refunded", { ...charge }, cause);
  return { status: 200, body: refund };
}

/** The charge with its refunds expanded, newest first (as `expand[]=refunds` shows it). */
export function chargeWithRefunds(state: StandInState, charge: ChargeObject): ChargeObject {
  const data = state.refundsOfCharge(charge.id);
  return { ...charge, refunds: { object: "list", data, has_more: false, url: `/v1/charges/${charge.id}/refunds` } };
}

/** A refund fails after it was accepted (e.g. the card was closed): its amount returns to the charge. */
export function failRefundNow(state: StandInState, refundId: string, failureReason = "expired_or_canceled_card"): StandInEvent[] {
  const refund = state.refunds.get(refundId);
  if (!refund) throw new FlowError(`no refund ${refundId}`);
  if (refund.status !== "pending" && refund.status !== "succeeded") throw new FlowError(`refund ${refundId} is ${refund.status}`);
  const charge = state.charges.get(refund.charge)!;
  const previous = { status: refund.status };
  Object.assign(refund, { status: "failed", failure_reason: failureReason });
  charge.amount_refunded -= refund.amount;
  charge.refunded = charge.amount_refunded >= charge.amount;
  return [
    state.emit("charge.refund.updated", refund, undefined, previous),
    state.emit("refund.updated", refund, undefined, previous),
    state.emit("refund.failed", refund),
  ];
}

/** A pending refund goes through. */
export function settleRefundNow(state: StandInState, refundId: string): StandInEvent[] {
  const refund = state.refunds.get(refundId);
  if (!refund || refund.status !== "pending") throw new FlowError(`no pending refund ${refundId}`);
  Object.assign(refund, { status: "succeeded", balance_transaction: newId("txn_") });
  return [
    state.emit("charge.refund.updated", refund, undefined, { status: "pending" }),
    state.emit("refund.updated", refund, undefined, { status: "pending" }),
  ];
}

function formatMinor(amount: number, currency: string): string {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(amount / 10 ** digits);
}

import { newId, NO_REQUEST, type EventCause, type StandInState } from "./state.js";
import type { ChargeObject, PaymentIntentObject, SessionObject, StandInEvent } from "./types.js";

/**
 * What happens on Stripe's side of a Checkout payment, in the order Stripe reports it. Each
 * function changes the stored objects and records the events (snapshots of the objects at
 * that moment); delivering them is the caller's business.
 */

export class FlowError extends Error {}

/** The buyer pays: by card (`paid`), or by a delayed method that settles later (`delayed`). */
export function completeSessionNow(state: StandInState, session: SessionObject, outcome: "paid" | "delayed"): StandInEvent[] {
  if (session.status !== "open") throw new FlowError(`session ${session.id} is ${session.status}, not open`);
  const now = state.now();
  const extra = state.paymentIntentData.get(session.id);
  const amount = session.amount_total ?? 0;
  const currency = session.currency ?? "usd";
  const paymentMethod = newId("pm_");
  const paymentIntent: PaymentIntentObject = {
    id: newId("pi_"),
    object: "payment_intent",
    amount,
    amount_capturable: 0,
    amount_received: 0,
    canceled_at: null,
    capture_method: "automatic_async",
    client_secret: "",
    confirmation_method: "automatic",
    created: now,
    currency,
    description: extra?.description ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: extra?.metadata ?? {},
    payment_method: null,
    payment_method_types: outcome === "paid" ? ["card"] : ["sepa_debit"],
    status: "requires_payment_method",
  };
  paymentIntent.client_secret = `${paymentIntent.id}_secret_${newId("", 24)}`;
  state.paymentIntents.set(paymentIntent.id, paymentIntent);
  const events = [state.emit("payment_intent.created", paymentIntent)];

  const charge: ChargeObject = {
    id: newId("ch_"),
    object: "charge",
    amount,
    amount_captured: outcome === "paid" ? amount : 0,
    amount_refunded: 0,
    balance_transaction: outcome === "paid" ? newId("txn_") : null,
    captured: outcome === "paid",
    created: now,
    currency,
    description: paymentIntent.description,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: {},
    paid: outcome === "paid",
    payment_intent: paymentIntent.id,
    payment_method: paymentMethod,
    refunded: false,
    status: outcome === "paid" ? "succeeded" : "pending",
  };
  state.charges.set(charge.id, charge);
  Object.assign(paymentIntent, {
    latest_charge: charge.id,
    payment_method: paymentMethod,
    status: outcome === "paid" ? "succeeded" : "processing",
    amount_received: outcome === "paid" ? amount : 0,
  });

  Object.assign(session, {
    status: "complete",
    payment_status: outcome === "paid" ? "paid" : "unpaid",
    payment_intent: paymentIntent.id,
    url: null,
    customer_details: {
      address: null,
      business_name: null,
      email: session.customer_email ?? "jenny.rosen@example.com",
      individual_name: null,
      name: "Jenny Rosen",
      phone: null,
      tax_exempt: "none",
      tax_ids: [],
    },
  });
  if (outcome === "paid") {
    events.push(state.emit("charge.succeeded", charge), state.emit("payment_intent.succeeded", paymentIntent));
  } else {
    events.push(state.emit("payment_intent.processing", paymentIntent), state.emit("charge.pending", charge));
  }
  events.push(state.emit("checkout.session.completed", session));
  return events;
}

/** A delayed payment method settles: the money arrives, or it does not. */
export function settleDelayedNow(state: StandInState, session: SessionObject, outcome: "succeeded" | "failed"): StandInEvent[] {
  const paymentIntent = typeof session.payment_intent === "string" ? state.paymentIntents.get(session.payment_intent) : undefined;
  const charge = paymentIntent?.latest_charge ? state.charges.get(paymentIntent.latest_charge) : undefined;
  if (session.status !== "complete" || session.payment_status !== "unpaid" || !paymentIntent || !charge || paymentIntent.status !== "processing") {
    throw new FlowError(`session ${session.id} has no delayed payment awaiting settlement`);
  }
  if (outcome === "succeeded") {
    Object.assign(charge, { status: "succeeded", paid: true, captured: true, amount_captured: charge.amount, balance_transaction: newId("txn_") });
    Object.assign(paymentIntent, { status: "succeeded", amount_received: paymentIntent.amount });
    session.payment_status = "paid";
    return [
      state.emit("charge.succeeded", charge),
      state.emit("payment_intent.succeeded", paymentIntent),
      state.emit("checkout.session.async_payment_succeeded", session),
    ];
  }
  Object.assign(charge, { status: "failed", failure_code: "insufficient_funds", failure_message: "The account has insufficient funds to cover this payment." });
  Object.assign(paymentIntent, {
    status: "requires_payment_method",
    last_payment_error: { code: "insufficient_funds", message: "The account has insufficient funds to cover this payment.", type: "card_error" },
  });
  return [
    state.emit("charge.failed", charge),
    state.emit("payment_intent.payment_failed", paymentIntent),
    state.emit("checkout.session.async_payment_failed", session),
  ];
}

/** An open session expires (its `expires_at` passed, or `POST …/expire`). */
export function expireSessionNow(state: StandInState, session: SessionObject, cause: EventCause = NO_REQUEST): StandInEvent[] {
  if (session.status !== "open") throw new FlowError(`session ${session.id} is ${session.status}, not open`);
  Object.assign(session, { status: "expired", url: null });
  return [state.emit("checkout.session.expired", session, cause)];
}

/** Every open session whose `expires_at` has passed by the stand-in's clock. */
export function sweepExpiredNow(state: StandInState): StandInEvent[] {
  const now = state.now();
  const events: StandInEvent[] = [];
  for (const session of state.sessions.values()) {
    if (session.status === "open" && session.expires_at <= now) events.push(...expireSessionNow(state, session));
  }
  return events;
}

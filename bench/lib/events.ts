import { createHmac } from "node:crypto";

/**
 * Signed `checkout.session.completed` events as Stripe sends them (about 2 KB each), built
 * cheaply enough for the load generator to make a fresh one per request. Shared by the
 * load generator and the seeding (which creates the pending orders they pay).
 */

export const BENCH_WEBHOOK_SECRET = "whsec_benchSigningSecretNotUsedAnywhereElse00";
export const BENCH_API_VERSION = "2025-10-29.clover";
/** What every seeded pending order costs, so the events match and are `processed`. */
export const ORDER_AMOUNT = 4200;
export const ORDER_CURRENCY = "eur";

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/**
 * Deterministic order ids: batch `series` (one per measurement), position `i`. The seed
 * computes the same ids in SQL (`orderIdSql`), so nothing has to be passed around.
 */
export function orderIdFor(series: number, i: number): string {
  return `b0000000-${hex(series, 4)}-4000-8000-${hex(i, 12)}`;
}

/** The same id as `orderIdFor`, in SQL, for an integer expression `i`. */
export function orderIdSql(series: number, i: string): string {
  return `('b0000000-${hex(series, 4)}-4000-8000-' || lpad(to_hex(${i}), 12, '0'))::uuid`;
}

/**
 * A realistic session object; the fields the API reads are filled in per event, the rest
 * is there so the payload has Stripe's size and shape.
 */
function template(): string {
  const session = {
    id: "@SESSION@",
    object: "checkout.session",
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: ORDER_AMOUNT,
    amount_total: ORDER_AMOUNT,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: "https://shop.example.com/checkout/cancel?order_id=@ORDER@",
    client_reference_id: "@ORDER@",
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: 1_760_000_000,
    currency: ORDER_CURRENCY,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: null,
    customer_creation: "if_required",
    customer_details: {
      address: { city: "Berlin", country: "DE", line1: "Example Street 1", line2: null, postal_code: "10115", state: null },
      email: "buyer@example.com",
      name: "Bench Buyer",
      phone: null,
      tax_exempt: "none",
      tax_ids: [],
    },
    customer_email: null,
    discounts: [],
    expires_at: 1_760_003_600,
    invoice: null,
    invoice_creation: { enabled: false, invoice_data: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: null, metadata: {}, rendering_options: null } },
    livemode: false,
    locale: null,
    metadata: { orderId: "@ORDER@" },
    mode: "payment",
    origin_context: null,
    payment_intent: "@INTENT@",
    payment_link: null,
    payment_method_collection: "if_required",
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: "automatic" } },
    payment_method_types: ["card"],
    payment_status: "paid",
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: "complete",
    submit_type: null,
    subscription: null,
    success_url: "https://shop.example.com/checkout/success?session_id={CHECKOUT_SESSION_ID}",
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: "hosted",
    url: null,
    wallet_options: null,
  };
  const event = {
    id: "@EVENT@",
    object: "event",
    api_version: BENCH_API_VERSION,
    created: 1_760_000_100,
    data: { object: session },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: "checkout.session.completed",
  };
  return JSON.stringify(event);
}

const TEMPLATE = template();

/** The event that pays order `i` of `series`; ids of the session and intent are unique too. */
export function completedEventFor(series: number, i: number): string {
  const suffix = `${hex(series, 4)}${hex(i, 12)}`;
  return TEMPLATE.replaceAll("@ORDER@", orderIdFor(series, i))
    .replace("@EVENT@", eventIdFor(series, i))
    .replace("@SESSION@", `cs_test_bench${suffix}`)
    .replace("@INTENT@", `pi_bench${suffix}`);
}

/** The `Stripe-Signature` header Stripe would send: `t=<unix seconds>,v1=<HMAC-SHA256>`. */
export function signatureFor(payload: string, secret = BENCH_WEBHOOK_SECRET, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${payload}`).digest("hex");
  return `t=${timestamp},v1=${v1}`;
}

/**
 * A redelivered backlog: events 0…distinct-1 in order, and after a share of them
 * (`duplicateShare` 0.2: every fifth) a second delivery of the same event up to 96 positions
 * later, so some duplicates arrive while the first delivery is still in flight on another
 * connection and some after it was applied. Deterministic, so the loader and the checks agree.
 */
export function backlogSequence(distinct: number, duplicateShare: number): number[] {
  const later = new Map<number, number[]>();
  const sequence: number[] = [];
  for (let i = 0; i < distinct; i += 1) {
    if (Math.floor((i + 1) * duplicateShare) > Math.floor(i * duplicateShare)) {
      const at = i + ((i * 7919) % 97);
      later.set(at, [...(later.get(at) ?? []), i]);
    }
    sequence.push(i, ...(later.get(i) ?? []));
    later.delete(i);
  }
  for (const rest of later.values()) sequence.push(...rest);
  return sequence;
}

/** The Stripe event id of `completedEventFor(series, i)`. */
export function eventIdFor(series: number, i: number): string {
  return `evt_bench${hex(series, 4)}${hex(i, 12)}`;
}

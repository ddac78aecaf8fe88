-- apply_session_state in steps instead of one statement of five parts: the same decisions,
-- locks and rows (api/src/payments/fulfilment.ts), for about 45 µs less PostgreSQL CPU per
-- webhook event (bench/README.md). Each step's plan is kept for the session, as before.
-- 1. A redelivery of an event already in the ledger returns at once: no lock, no write.
-- 2. The order row is locked (FOR UPDATE): events for one order serialise, and a waiter
--    reads the row as the winner left it.
-- 3. The outcome is decided from the locked row; the ledger row is inserted with
--    ON CONFLICT DO NOTHING on the Stripe event id (a concurrent duplicate inserts nothing).
-- 4. The order moves only when the ledger row was written (or there is no event: the
--    success-page sync and reconciliation) and only from the states allowed.
CREATE OR REPLACE FUNCTION "apply_session_state"(
  p_event_id text,
  p_type text,
  p_payload jsonb,
  p_order_id uuid,
  p_target text,
  p_allowed "OrderStatus"[],
  p_amount integer,
  p_currency text,
  p_session_id text,
  p_payment_intent text,
  p_now timestamptz,
  p_money_moved boolean
) RETURNS TABLE (previous "OrderStatus", order_id uuid, outcome text, recorded integer, next "OrderStatus")
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_order uuid := p_order_id;
  v_seen boolean := false;
  v_seen_order uuid;
  o record;
  v_result text;
  v_recorded integer := 0;
  v_next "OrderStatus";
BEGIN
  IF v_order IS NULL THEN
    SELECT t."id" INTO v_order FROM "Order" t WHERE t."stripeCheckoutSessionId" = p_session_id;
  END IF;
  IF p_event_id IS NOT NULL THEN
    SELECT e."orderId", true INTO v_seen_order, v_seen FROM "PaymentEvent" e WHERE e."stripeEventId" = p_event_id;
    IF v_seen THEN
      previous := NULL; order_id := v_seen_order; outcome := 'ignored'; recorded := 0; next := NULL;
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  SELECT t."id", t."status", t."amountTotal", t."currency", t."stripeCheckoutSessionId" AS sid INTO o
  FROM "Order" t WHERE t."id" = v_order FOR UPDATE;
  v_result := CASE
    WHEN p_target IS NULL THEN 'ignored'
    WHEN o."id" IS NULL THEN CASE WHEN p_money_moved THEN 'rejected' ELSE 'ignored' END
    WHEN p_money_moved AND (p_amount IS NULL OR o."amountTotal" <> p_amount OR o."currency" IS DISTINCT FROM p_currency
      OR (o.sid IS NOT NULL AND o.sid <> p_session_id)) THEN 'rejected'
    WHEN p_money_moved AND o."status" = 'expired' THEN 'rejected'
    WHEN o."status" = ANY(p_allowed) THEN 'processed'
    ELSE 'ignored'
  END;
  IF p_event_id IS NOT NULL THEN
    INSERT INTO "PaymentEvent" ("stripeEventId", "type", "orderId", "outcome", "payload")
    VALUES (p_event_id, p_type, o."id", v_result::"PaymentEventOutcome", p_payload)
    ON CONFLICT ("stripeEventId") DO NOTHING;
    GET DIAGNOSTICS v_recorded = ROW_COUNT;
  END IF;
  IF v_result = 'processed' AND (p_event_id IS NULL OR v_recorded = 1) THEN
    UPDATE "Order" AS t SET
      "status" = p_target::"OrderStatus",
      "paidAt" = CASE WHEN p_target = 'paid' THEN p_now ELSE t."paidAt" END,
      "stripeCheckoutSessionId" = COALESCE(t."stripeCheckoutSessionId", p_session_id),
      "stripePaymentIntentId" = COALESCE(t."stripePaymentIntentId", p_payment_intent),
      "updatedAt" = p_now
    WHERE t."id" = o."id"
    RETURNING t."status" INTO v_next;
  END IF;
  previous := o."status"; order_id := o."id"; outcome := v_result; recorded := v_recorded; next := v_next;
  RETURN NEXT;
END
$fn$;

-- apply_session_state, ledger first: the same decisions, rows and outcomes as before, with
-- fewer steps on the common path (a new event that moves its order), about 20-30 µs less
-- PostgreSQL CPU per webhook event (bench/README.md, finding 17):
-- 1. The ledger row is inserted first, as 'processed', with ON CONFLICT DO NOTHING on the
--    Stripe event id. Nothing inserted means a redelivery (or a concurrent duplicate, which
--    waited on the unique index for the first to commit): it returns at once, changing
--    nothing and locking no order.
-- 2. The order moves by a conditional UPDATE per state it may come from (the state it was
--    in is then known: the update matched it), only when its amount, currency and session
--    match for an event that moved money. The UPDATE locks the row and re-checks these
--    conditions on the newest version when a concurrent transaction changed it, so events
--    for one order still serialise and never move it backwards. No separate FOR UPDATE.
-- 3. Otherwise (not allowed from its state, a mismatch, an expired order, no order) the
--    order row is locked and the outcome decided as before; the ledger row's outcome is
--    corrected in the same statement. The lock is FOR NO KEY UPDATE, the mode of the UPDATE
--    itself: the ledger row's foreign key already holds a KEY SHARE lock on the order, and
--    two events that both took one and then asked FOR UPDATE would deadlock (the test with
--    30 distinct events for one order showed it); NO KEY UPDATE does not wait for KEY SHARE. The order moves only when the ledger row was
--    written in this call (or there is no event: the success-page sync and reconciliation).
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
  v_recorded integer := 0;
  v_from "OrderStatus";
  o record;
  v_result text;
  v_next "OrderStatus";
BEGIN
  IF v_order IS NULL THEN
    SELECT t."id" INTO v_order FROM "Order" t WHERE t."stripeCheckoutSessionId" = p_session_id;
  END IF;

  -- 1. The ledger row, or nothing for a redelivery. The order id is stored only when the
  --    order exists (an event may name an order that is not ours).
  IF p_event_id IS NOT NULL THEN
    INSERT INTO "PaymentEvent" ("stripeEventId", "type", "orderId", "outcome", "payload")
    VALUES (p_event_id, p_type, (SELECT t."id" FROM "Order" t WHERE t."id" = v_order), 'processed', p_payload)
    ON CONFLICT ("stripeEventId") DO NOTHING;
    GET DIAGNOSTICS v_recorded = ROW_COUNT;
    IF v_recorded = 0 THEN
      SELECT e."orderId" INTO v_order FROM "PaymentEvent" e WHERE e."stripeEventId" = p_event_id;
      previous := NULL; order_id := v_order; outcome := 'ignored'; recorded := 0; next := NULL;
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;

  -- 2. The common path: the order is in a state it may move from, and matches.
  IF p_target IS NOT NULL AND v_order IS NOT NULL THEN
    FOREACH v_from IN ARRAY p_allowed LOOP
      UPDATE "Order" AS t SET
        "status" = p_target::"OrderStatus",
        "paidAt" = CASE WHEN p_target = 'paid' THEN p_now ELSE t."paidAt" END,
        "stripeCheckoutSessionId" = COALESCE(t."stripeCheckoutSessionId", p_session_id),
        "stripePaymentIntentId" = COALESCE(t."stripePaymentIntentId", p_payment_intent),
        "updatedAt" = p_now
      WHERE t."id" = v_order AND t."status" = v_from
        AND (NOT p_money_moved OR (t."amountTotal" = p_amount AND t."currency" = p_currency
          AND (t."stripeCheckoutSessionId" IS NULL OR t."stripeCheckoutSessionId" = p_session_id)))
      RETURNING t."status" INTO v_next;
      IF FOUND THEN
        previous := v_from; order_id := v_order; outcome := 'processed'; recorded := v_recorded; next := v_next;
        RETURN NEXT;
        RETURN;
      END IF;
    END LOOP;
  END IF;

  -- 3. Every other case, decided on the locked row as before.
  SELECT t."id", t."status", t."amountTotal", t."currency", t."stripeCheckoutSessionId" AS sid INTO o
  FROM "Order" t WHERE t."id" = v_order FOR NO KEY UPDATE;
  v_result := CASE
    WHEN p_target IS NULL THEN 'ignored'
    WHEN o."id" IS NULL THEN CASE WHEN p_money_moved THEN 'rejected' ELSE 'ignored' END
    WHEN p_money_moved AND (p_amount IS NULL OR o."amountTotal" <> p_amount OR o."currency" IS DISTINCT FROM p_currency
      OR (o.sid IS NOT NULL AND o.sid <> p_session_id)) THEN 'rejected'
    WHEN p_money_moved AND o."status" = 'expired' THEN 'rejected'
    WHEN o."status" = ANY(p_allowed) THEN 'processed'
    ELSE 'ignored'
  END;
  IF p_event_id IS NOT NULL AND v_result <> 'processed' THEN
    UPDATE "PaymentEvent" AS e SET "outcome" = v_result::"PaymentEventOutcome" WHERE e."stripeEventId" = p_event_id;
  END IF;
  IF v_result = 'processed' THEN
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

-- Webhook fulfilment as a function: PL/pgSQL keeps the plan of its statement for the
-- session, so an event no longer pays PostgreSQL to parse and plan a five-part statement
-- (unnamed statements, the only kind PgBouncer's transaction pooling allows, are planned
-- on every execution). The statement is the one documented in
-- api/src/payments/fulfilment.ts, which calls this function.
CREATE FUNCTION "apply_session_state"(
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
BEGIN
  IF v_order IS NULL THEN
    -- The success-page sync may know only the session; it is set once and never changes.
    SELECT o."id" INTO v_order FROM "Order" o WHERE o."stripeCheckoutSessionId" = p_session_id;
  END IF;
  RETURN QUERY
  WITH seen AS (
    SELECT e."orderId" FROM "PaymentEvent" e WHERE e."stripeEventId" = p_event_id
  ), o AS (
    SELECT t."id", t."status", t."amountTotal", t."currency", t."stripeCheckoutSessionId" AS sid
    FROM "Order" t
    WHERE t."id" = v_order AND NOT EXISTS (SELECT 1 FROM seen)
    FOR UPDATE
  ), d AS (
    SELECT o."id", o."status" AS prev,
      CASE
        WHEN p_target IS NULL THEN 'ignored'
        WHEN o."id" IS NULL THEN CASE WHEN p_money_moved THEN 'rejected' ELSE 'ignored' END
        WHEN p_money_moved AND (p_amount IS NULL OR o."amountTotal" <> p_amount OR o."currency" IS DISTINCT FROM p_currency
          OR (o.sid IS NOT NULL AND o.sid <> p_session_id)) THEN 'rejected'
        WHEN p_money_moved AND o."status" = 'expired' THEN 'rejected'
        WHEN o."status" = ANY(p_allowed) THEN 'processed'
        ELSE 'ignored'
      END AS result
    FROM (SELECT 1) AS one LEFT JOIN o ON true
  ), ins AS (
    INSERT INTO "PaymentEvent" ("stripeEventId", "type", "orderId", "outcome", "payload")
    SELECT p_event_id, p_type, d."id", d.result::"PaymentEventOutcome", p_payload FROM d
    WHERE p_event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM seen)
    ON CONFLICT ("stripeEventId") DO NOTHING
    RETURNING 1
  ), upd AS (
    UPDATE "Order" AS t SET
      "status" = p_target::"OrderStatus",
      "paidAt" = CASE WHEN p_target = 'paid' THEN p_now ELSE t."paidAt" END,
      "stripeCheckoutSessionId" = COALESCE(t."stripeCheckoutSessionId", p_session_id),
      "stripePaymentIntentId" = COALESCE(t."stripePaymentIntentId", p_payment_intent),
      "updatedAt" = p_now
    FROM d
    WHERE t."id" = d."id" AND d.result = 'processed' AND (p_event_id IS NULL OR EXISTS (SELECT 1 FROM ins))
    RETURNING t."status"
  )
  SELECT d.prev, COALESCE(d."id", (SELECT s."orderId" FROM seen s)), d.result,
    (SELECT count(*) FROM ins)::integer, (SELECT u."status" FROM upd u)
  FROM d;
END
$fn$;

-- The checkout's two writes (api/src/checkout/order-writes.ts) as functions, unchanged,
-- for the reason apply_session_state is one: a PL/pgSQL function keeps its statement's
-- plan for the session, while the same statement sent unnamed (the only kind PgBouncer's
-- transaction pooling allows) was parsed and planned on every checkout (bench/README.md).

-- The pending order, its lines with prices copied, and the idempotency key's link to it;
-- with a key, nothing is written unless the caller still holds the claim. 1 or 0 orders.
CREATE FUNCTION "insert_pending_order"(
  p_id uuid,
  p_user_id uuid,
  p_amount integer,
  p_currency text,
  p_expires_at timestamptz,
  p_params jsonb,
  p_lines jsonb,
  p_key_id uuid,
  p_claim_token uuid
) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count integer;
BEGIN
  WITH k AS (
    UPDATE "IdempotencyKey" SET "orderId" = p_id
    WHERE "id" = p_key_id AND "claimToken" = p_claim_token AND "state" = 'in_progress' AND "orderId" IS NULL
    RETURNING 1
  ), o AS (
    INSERT INTO "Order" ("id", "userId", "status", "amountTotal", "currency", "checkoutExpiresAt", "checkoutParams", "updatedAt")
    SELECT p_id, p_user_id, 'pending', p_amount, p_currency, p_expires_at, p_params, now()
    WHERE p_key_id IS NULL OR EXISTS (SELECT 1 FROM k)
    RETURNING "id"
  ), items AS (
    INSERT INTO "OrderItem" ("orderId", "productId", "name", "quantity", "unitAmount")
    SELECT o."id", l."productId", l."name", l."quantity", l."unitAmount"
    FROM o CROSS JOIN jsonb_to_recordset(p_lines) AS l("productId" uuid, "name" text, "quantity" int, "unitAmount" int)
  )
  SELECT count(*)::int INTO v_count FROM o;
  RETURN v_count;
END
$fn$;

-- The order's Checkout Session (never replacing another one) and, with a key, the answer
-- to replay, releasing the claim. The number of keys completed: 1, or 0 when the claim
-- was taken over meanwhile (or there is no key).
CREATE FUNCTION "record_session"(
  p_order_id uuid,
  p_session_id text,
  p_url text,
  p_expires_at timestamptz,
  p_key_id uuid,
  p_claim_token uuid,
  p_status integer,
  p_body jsonb
) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count integer;
BEGIN
  WITH o AS (
    UPDATE "Order" SET "stripeCheckoutSessionId" = p_session_id, "checkoutUrl" = p_url, "checkoutExpiresAt" = p_expires_at, "updatedAt" = now()
    WHERE "id" = p_order_id AND ("stripeCheckoutSessionId" IS NULL OR "stripeCheckoutSessionId" = p_session_id)
  ), k AS (
    UPDATE "IdempotencyKey" SET "state" = 'completed', "responseStatus" = p_status, "responseBody" = p_body, "lockedUntil" = NULL
    WHERE "id" = p_key_id AND "claimToken" = p_claim_token AND "state" = 'in_progress'
    RETURNING 1
  )
  SELECT count(*)::int INTO v_count FROM k;
  RETURN v_count;
END
$fn$;

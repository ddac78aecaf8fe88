-- Fulfilment is written through Prisma Client in TypeScript (api/src/payments/fulfilment.ts);
-- the database keeps no business logic. Every earlier migration created or replaced this
-- one signature, so dropping it removes every version.
DROP FUNCTION IF EXISTS "apply_session_state"(text, text, jsonb, uuid, text, "OrderStatus"[], integer, text, text, text, timestamptz, boolean);

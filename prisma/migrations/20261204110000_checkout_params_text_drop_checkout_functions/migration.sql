-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "checkoutParamsText" TEXT;

-- The checkout writes through Prisma Client now; no other overloads were ever created.
DROP FUNCTION IF EXISTS "insert_pending_order"(uuid, uuid, integer, text, timestamptz, jsonb, jsonb, uuid, uuid);
DROP FUNCTION IF EXISTS "record_session"(uuid, text, text, timestamptz, uuid, uuid, integer, jsonb);

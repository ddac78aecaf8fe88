-- Refunds record the admin who made them and what resolving an unknown outcome needs:
-- when the first attempt was sent (Stripe keeps its idempotency key 24 h) and when to look
-- it up next. Every new column is nullable or has a default (expand only).
ALTER TABLE "Refund" ADD COLUMN "createdBy" UUID,
ADD COLUMN "firstAttemptAt" TIMESTAMPTZ(3),
ADD COLUMN "nextCheckAt" TIMESTAMPTZ(3),
ADD COLUMN "checkFailures" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Refund_status_nextCheckAt_idx" ON "Refund"("status", "nextCheckAt");

-- AddForeignKey
ALTER TABLE "Refund" ADD CONSTRAINT "Refund_createdBy_fkey" FOREIGN KEY ("createdBy") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

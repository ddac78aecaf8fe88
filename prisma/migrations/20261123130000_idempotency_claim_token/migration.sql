-- AlterTable
ALTER TABLE "IdempotencyKey" ADD COLUMN     "claimToken" UUID;

import type { PrismaClient } from "../../generated/prisma/client.js";

/**
 * Records that a scheduled job finished successfully; GET /metrics exports it as
 * `job_last_success_timestamp_seconds{job}`, which an alert watches. A backup script
 * writes the same row with psql (docs/runbooks/restore.md).
 */
export async function recordJobSuccess(prisma: Pick<PrismaClient, "jobRun">, job: string, at: Date): Promise<void> {
  await prisma.jobRun.upsert({ where: { name: job }, create: { name: job, lastSuccessAt: at }, update: { lastSuccessAt: at } });
}

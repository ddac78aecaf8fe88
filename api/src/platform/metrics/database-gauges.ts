import { Gauge, type Registry } from "prom-client";

/** What the scrape-time gauges need: one query on the app's pool. */
export interface GaugeQueries {
  query<R extends Record<string, unknown>>(sql: string): Promise<{ rows: R[] }>;
}

/**
 * Gauges read from PostgreSQL when Prometheus scrapes, so every instance reports the same
 * truth and a job that cannot be scraped (`npm run maintenance`, a backup) is still seen
 * through the row it writes on success. A failed read leaves the last value: /metrics keeps
 * answering while the database is down (`/ready` reports that).
 */
export function registerDatabaseGauges(registry: Registry, db: GaugeQueries): void {
  const registers = [registry];
  new Gauge({
    name: "orders_oldest_pending_age_seconds",
    help: "Age of the oldest order still pending or processing (0 when none); maintenance settles abandoned ones",
    registers,
    async collect() {
      // Raw SQL: the pool is the only database handle infrastructure code holds here.
      const read = await db
        .query<{ age: number | null }>(`SELECT EXTRACT(EPOCH FROM now() - min("createdAt"))::float8 AS age FROM "Order" WHERE "status" IN ('pending', 'processing')`)
        .catch(() => undefined);
      if (read) this.set(read.rows[0]?.age ?? 0);
    },
  });
  new Gauge({
    name: "refunds_oldest_pending_age_seconds",
    help: "Age of the oldest refund whose outcome is still unknown (0 when none)",
    registers,
    async collect() {
      // Raw SQL: as above.
      const read = await db
        .query<{ age: number | null }>(`SELECT EXTRACT(EPOCH FROM now() - min("createdAt"))::float8 AS age FROM "Refund" WHERE "status" = 'pending'`)
        .catch(() => undefined);
      if (read) this.set(read.rows[0]?.age ?? 0);
    },
  });
  new Gauge({
    name: "job_last_success_timestamp_seconds",
    help: "Unix time of the last successful run of each scheduled job (maintenance, backup)",
    labelNames: ["job"] as const,
    registers,
    async collect() {
      // Raw SQL: as above.
      const read = await db
        .query<{ name: string; at: number }>(`SELECT "name", EXTRACT(EPOCH FROM "lastSuccessAt")::float8 AS at FROM "JobRun"`)
        .catch(() => undefined);
      for (const row of read?.rows ?? []) this.set({ job: row.name }, row.at);
    },
  });
}

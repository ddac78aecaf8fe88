import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../generated/prisma/client.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";

export type { PrismaClient };

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * One `pg` pool behind Prisma's driver adapter. Every timeout here is client-side on
 * purpose: a stopped or frozen server never fires its own `statement_timeout`, so without
 * these a request would hang instead of failing fast.
 */
export function createDatabase(config: Config["database"], logger: Logger): Database {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax,
    connectionTimeoutMillis: config.connectionTimeoutMs,
    query_timeout: config.queryTimeoutMs,
    idleTimeoutMillis: config.idleTimeoutMs,
    keepAlive: true,
    application_name: "checkout-api",
  });
  // An idle client losing its connection emits here; unhandled it would crash the process.
  pool.on("error", (err) => logger.error({ err: { message: err.message, code: (err as { code?: string }).code } }, "database pool error"));
  pool.on("connect", (client) => closeOnReadTimeout(client, logger));

  const adapter = new PrismaPg(pool, {
    onConnectionError: (err) => logger.warn({ err: { message: err.message } }, "database connection error"),
  });
  const prisma = new PrismaClient({
    adapter,
    transactionOptions: { maxWait: config.transactionMaxWaitMs, timeout: config.transactionTimeoutMs },
  });

  let closed = false;
  return {
    prisma,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      if (pool.ended) return;
      // A frozen server never acknowledges the goodbye; shutdown must still finish.
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = await Promise.race([
        pool.end().then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), config.connectionTimeoutMs))),
      ]);
      clearTimeout(timer);
      if (gaveUp) logger.warn({ waitedMs: config.connectionTimeoutMs }, "database pool did not close in time; leaving it");
    },
  };
}

/**
 * pg's `query_timeout` answers the caller but leaves the connection busy with the
 * unanswered query. Inside a transaction Prisma's ROLLBACK then queues behind it, and the
 * adapter hands the connection back to the pool, where the next borrower times out too.
 * So a connection whose query timed out is closed at once: work queued on it fails fast
 * and the pool opens a fresh one. (`pool.query` already discards such a client itself.)
 */
function closeOnReadTimeout(client: pg.PoolClient, logger: Logger): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (!(err instanceof Error) || err.message !== "Query read timeout") return;
        logger.warn("database query timed out; closing its connection");
        // With a query still active, pg destroys the socket instead of waiting for the server.
        client.end().catch(() => undefined);
      });
    }
    return result;
  };
}

/** True for errors that mean "the database is not reachable right now", not "the query is wrong". */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [err];
  while (pending.length > 0) {
    const current = pending.shift();
    if (!current || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    const e = current as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown; errorCode?: unknown; meta?: { driverAdapterError?: unknown } };
    const code = typeof e.code === "string" ? e.code : typeof e.errorCode === "string" ? e.errorCode : "";
    const message = typeof e.message === "string" ? e.message : "";
    if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004", "53300", "P1001", "P1002", "P1008", "P1017", "P2024", "P2028"].includes(code)) return true;
    if (/timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection timeout|Can't reach database|Transaction API error|Unable to start a transaction|Transaction already closed|Client has encountered a connection error|Cannot use a pool after calling end|DatabaseNotReachable|ConnectionClosed|SocketTimeout|TooManyConnections/i.test(message)) return true;
    if (e.name === "DriverAdapterError" && /ECONN|timeout|terminated|closed/i.test(message)) return true;
    // Prisma reports some server errors as P2039 "Database error" and keeps the server's
    // own code (e.g. 57P01 when PostgreSQL shuts down) in meta.driverAdapterError.
    pending.push(e.cause, e.meta?.driverAdapterError);
  }
  return false;
}

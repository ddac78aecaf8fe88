import type { Express } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../../src/app.js";
import { buildContext, type AppContext } from "../../src/context.js";
import { isDatabaseUnavailable } from "../../src/platform/db/database.js";
import { migrate } from "../../src/platform/db/migrations.js";
import { createLogger } from "../../src/platform/logger.js";
import { testConfig } from "../helpers/app.js";
import { adminQuery, databaseUrl } from "../helpers/database.js";
import { LogCapture } from "../helpers/logs.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

/**
 * Outages of a PostgreSQL of this file's own: stopped, then frozen behind a
 * pausable proxy. The shared test database is never touched. Bounds are generous: they
 * prove that a deadline exists, not how fast it is.
 */
const READY_WITHIN_MS = 2000;
const FAILS_FAST_WITHIN_MS = 5000;
const RECOVERS_WITHIN = { timeout: 20_000, interval: 200 };

let server: TestPostgres;
let proxy: TcpProxy;
let url: string;

interface Instance {
  ctx: AppContext;
  app: Express;
  logs: LogCapture;
}
const instances: Instance[] = [];

function instance(name: string, env: Record<string, string>): Instance {
  const logs = new LogCapture(inject("logDir"), name);
  const config = testConfig({ DATABASE_CONNECT_TIMEOUT_MS: "1000", DATABASE_QUERY_TIMEOUT_MS: "1000", LOG_LEVEL: "info", ...env });
  const ctx = buildContext(config, { logger: createLogger({ level: config.logLevel }, logs) });
  const created = { ctx, app: createApp(ctx), logs };
  instances.push(created);
  return created;
}

/** Before an outage: ready (retried, as a loaded machine may miss the probe's 500 ms once). */
const expectReady = (app: Express) =>
  vi.waitFor(async () => expect((await request(app).get("/ready")).status).toBe(200), { timeout: 10_000, interval: 100 });

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

beforeAll(async () => {
  server = await startTestPostgres();
  await adminQuery(server.url, `CREATE DATABASE app`);
  url = databaseUrl(server.url, "app");
  await migrate({ databaseUrl: url });
  proxy = await startTcpProxy({ host: "127.0.0.1", port: server.port });
}, 120_000);

afterAll(async () => {
  for (const { ctx } of instances) await ctx.close();
  await proxy?.close();
  await server?.stop();
});

describe("database stopped", () => {
  it("when the server stops, then /ready is 503 within 2 s, /health stays 200, and after it returns /ready is 200 without a restart", async () => {
    const { app, logs } = instance("outage-stopped", { DATABASE_URL: url });
    await expectReady(app);
    expect((await request(app).get("/products")).status).toBe(200); // the pool now holds connections

    await server.halt();
    try {
      const { result: ready, ms } = await timed(() => request(app).get("/ready"));
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: "unavailable", checks: { database: "fail", migrations: "fail" } });
      expect(ms).toBeLessThan(READY_WITHIN_MS);
      expect((await request(app).get("/health")).status).toBe(200);

      const products = await request(app).get("/products");
      expect(products.status).toBe(503);
      expect(products.body.code).toBe("SERVICE_UNAVAILABLE");
      // Connections the server dropped were logged by the pool, not thrown at the process.
      await vi.waitFor(() => expect(logs.withMessage("database pool error").length).toBeGreaterThan(0));
    } finally {
      await server.resume();
    }

    await vi.waitFor(async () => expect((await request(app).get("/ready")).status).toBe(200), RECOVERS_WITHIN);
    expect((await request(app).get("/products")).status).toBe(200);
  });
});

describe("database frozen", () => {
  it("when every byte to the database stops, then /ready is 503 within 2 s and queries and transactions fail fast; after resume all is 200 again", async () => {
    const { ctx, app } = instance("outage-frozen", { DATABASE_URL: databaseUrl(`postgresql://postgres:postgres@127.0.0.1:${proxy.port}`, "app") });
    await expectReady(app);
    expect((await request(app).get("/products")).status).toBe(200);
    expect(proxy.connections).toBeGreaterThan(0);

    proxy.pause();
    try {
      const { result: ready, ms } = await timed(() => request(app).get("/ready"));
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toEqual({ database: "fail", migrations: "fail" });
      expect(ms).toBeLessThan(READY_WITHIN_MS);
      expect((await request(app).get("/health")).status).toBe(200);

      const products = await timed(() => request(app).get("/products"));
      expect(products.result.status).toBe(503);
      expect(products.ms).toBeLessThan(FAILS_FAST_WITHIN_MS);

      const transaction = await timed(() => ctx.prisma.$transaction(async (tx) => tx.product.count()).catch((err: unknown) => err));
      expect(isDatabaseUnavailable(transaction.result)).toBe(true);
      expect(transaction.ms).toBeLessThan(FAILS_FAST_WITHIN_MS);
    } finally {
      proxy.resume();
    }

    await vi.waitFor(async () => expect((await request(app).get("/ready")).status).toBe(200), RECOVERS_WITHIN);
    expect((await request(app).get("/products")).status).toBe(200);
    expect(await ctx.prisma.$transaction(async (tx) => tx.product.count())).toBe(0);
  });
});

describe("a query that times out", () => {
  it("when a transaction's query hits the client-side timeout, then its connection is discarded and the next query gets a healthy one", async () => {
    // One connection, so a stuck one handed back to the pool would be the next one used.
    const { ctx, logs } = instance("outage-timeout", { DATABASE_URL: url, DATABASE_POOL_MAX: "1", DATABASE_QUERY_TIMEOUT_MS: "300" });
    await ctx.prisma.$queryRaw`SELECT 1`;

    const slow = await ctx.prisma.$transaction(async (tx) => tx.$queryRaw`SELECT pg_sleep(2)`).catch((err: unknown) => err);
    expect(isDatabaseUnavailable(slow)).toBe(true);

    expect(await ctx.prisma.$queryRaw`SELECT 1 AS ok`).toEqual([{ ok: 1 }]);
    expect(logs.withMessage("database query timed out; closing its connection")).toHaveLength(1);
  });
});

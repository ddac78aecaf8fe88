import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../../../src/app.js";
import { ManualClock } from "../../../src/platform/clock.js";
import { buildContext, type AppContext } from "../../../src/context.js";
import { defaultMigrationsDir, migrate } from "../../../src/platform/db/migrations.js";
import { startStripeStandIn } from "../../../../dev/stripe-stand-in/index.js";
import { createLogger } from "../../../src/platform/logger.js";
import { testConfig } from "../../helpers/app.js";
import { TEST_SECRETS, testPassword } from "../../helpers/constants.js";
import { adminQuery, databaseUrl } from "../../helpers/database.js";
import { LogCapture } from "../../helpers/logs.js";
import { createProduct, eventOf, type PaymentsTestApp, sendEvent } from "../../helpers/payments.js";

/*
 * The hardened set-up of docs/security.md: an owner role runs the migrations (DDL), the API
 * runs as a role that may only read and write rows, in both DATABASE_URL and
 * DIRECT_DATABASE_URL. Default privileges make the tables of later migrations usable.
 */
const suffix = randomBytes(4).toString("hex");
const database = `dml_${suffix}`;
const owner = `shop_owner_${suffix}`;
const app = `shop_app_${suffix}`;
const secret = randomBytes(12).toString("hex");
const adminUrl = inject("adminDatabaseUrl");

const urlAs = (role: string) => {
  const url = new URL(databaseUrl(adminUrl, database));
  url.username = role;
  url.password = secret;
  return url.toString();
};

async function runAs(role: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlAs(role) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The SQL docs/security.md gives, run once by the owner before the first migration. */
const grants = `
  GRANT CONNECT ON DATABASE "${database}" TO "${app}";
  GRANT USAGE ON SCHEMA public TO "${app}";
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "${app}";
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "${app}";
  ALTER DEFAULT PRIVILEGES FOR ROLE "${owner}" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "${app}";
  ALTER DEFAULT PRIVILEGES FOR ROLE "${owner}" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "${app}";
`;

let t: PaymentsTestApp;
let ctx: AppContext;
let migrationsDir: string;

beforeAll(async () => {
  await adminQuery(adminUrl, `CREATE ROLE "${owner}" LOGIN PASSWORD '${secret}'; CREATE ROLE "${app}" LOGIN PASSWORD '${secret}'`);
  await adminQuery(adminUrl, `CREATE DATABASE "${database}" OWNER "${owner}"`);
  await runAs(owner, `REVOKE CREATE ON SCHEMA public FROM PUBLIC; ${grants}`);

  // Every migration of the repository, then a later one that adds a table, all run by the owner.
  migrationsDir = mkdtempSync(path.join(tmpdir(), "dml-role-migrations-"));
  cpSync(defaultMigrationsDir(), migrationsDir, { recursive: true });
  await migrate({ databaseUrl: urlAs(owner), dir: migrationsDir });
  mkdirSync(path.join(migrationsDir, "29991231000000_later_table"));
  writeFileSync(
    path.join(migrationsDir, "29991231000000_later_table", "migration.sql"),
    `CREATE TABLE "LaterTable" ("id" SERIAL NOT NULL, "note" TEXT NOT NULL, CONSTRAINT "LaterTable_pkey" PRIMARY KEY ("id"));\n`,
  );
  expect((await migrate({ databaseUrl: urlAs(owner), dir: migrationsDir })).applied).toHaveLength(1);

  const clock = new ManualClock(new Date());
  const stripe = await startStripeStandIn({ webhookSecret: TEST_SECRETS.webhookSecret, clock });
  const logs = new LogCapture(inject("logDir"), "db-dml-role");
  const config = testConfig({ DATABASE_URL: urlAs(app), DIRECT_DATABASE_URL: urlAs(app), STRIPE_API_URL: stripe.url });
  ctx = buildContext(config, { logger: createLogger({ level: config.logLevel }, logs), clock });
  t = { ctx, app: createApp(ctx), clock, logs, databaseUrl: urlAs(app), stripe, close: async () => undefined };
});

afterAll(async () => {
  await ctx?.close();
  await t?.stripe.close();
  if (migrationsDir) rmSync(migrationsDir, { recursive: true, force: true });
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await adminQuery(adminUrl, `DROP ROLE IF EXISTS "${app}"; DROP ROLE IF EXISTS "${owner}"`);
});

describe("the API under a DML-only database role", () => {
  it("when a customer registers, logs in, checks out and Stripe's webhook arrives, then everything works", async () => {
    // Products are seeded by the owner side in production; here the row goes in as the app role.
    const product = await createProduct(ctx, { unitAmount: 2500 });
    const email = `dml-${suffix}@example.test`;
    const password = testPassword("dml");
    expect((await request(t.app).post("/auth/register").send({ email, password })).status).toBe(201);
    const login = await request(t.app).post("/auth/login").send({ email, password });
    expect(login.status).toBe(200);
    const auth = `Bearer ${login.body.accessToken as string}`;
    const checkout = await request(t.app).post("/payments/checkout-session").set("Authorization", auth).send({ items: [{ productId: product.id, quantity: 1 }] });
    expect(checkout.status).toBe(201);
    const completed = eventOf(await t.stripe.completeSession(checkout.body.sessionId as string, "paid"), "checkout.session.completed");
    expect((await sendEvent(t, completed)).status).toBe(200);
    expect((await ctx.prisma.order.findUniqueOrThrow({ where: { id: checkout.body.orderId as string } })).status).toBe("paid");
    expect((await request(t.app).get("/ready")).status).toBe(200);
  });

  it("when a later migration added a table, then the app role can use it through the default privileges", async () => {
    await runAs(app, `INSERT INTO "LaterTable" ("note") VALUES ('written by the app role')`);
    const client = new pg.Client({ connectionString: urlAs(app) });
    await client.connect();
    try {
      expect((await client.query(`SELECT "note" FROM "LaterTable"`)).rows).toEqual([{ note: "written by the app role" }]);
    } finally {
      await client.end();
    }
  });

  it.each([
    ["CREATE TABLE", `CREATE TABLE "Intruder" ("id" INT)`],
    ["ALTER TABLE", `ALTER TABLE "User" ADD COLUMN "intruder" TEXT`],
    ["DROP TABLE", `DROP TABLE "LaterTable"`],
    ["TRUNCATE", `TRUNCATE "PaymentEvent"`],
    ["CREATE FUNCTION", `CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'`],
  ])("when the app role tries %s, then PostgreSQL refuses it (42501)", async (_name, sql) => {
    await expect(runAs(app, sql)).rejects.toMatchObject({ code: "42501" });
  });
});

import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { defaultMigrationsDir, migrate } from "../../../src/platform/db/migrations.js";
import { createEmptyDatabase, type FreshDatabase } from "./fresh-database.js";
import { shapeFromDatabase, shapeFromPrismaSchema, type SchemaShape } from "./schema-shape.js";

const schemaText = readFileSync(path.join(defaultMigrationsDir(), "..", "schema.prisma"), "utf8");

let db: FreshDatabase;
let expected: SchemaShape;
let actual: SchemaShape;

beforeAll(async () => {
  db = await createEmptyDatabase(inject("adminDatabaseUrl"));
  await migrate({ databaseUrl: db.url });
  expected = shapeFromPrismaSchema(schemaText);
  actual = await shapeFromDatabase(db.url);
});
afterAll(() => db?.drop());

describe("migrations against schema.prisma", () => {
  it("when every migration is applied, then the database has exactly the schema's tables", () => {
    expect(Object.keys(actual.tables).sort()).toEqual(Object.keys(expected.tables).sort());
  });

  it("when every migration is applied, then each column has the schema's type, nullability and default", () => {
    expect(actual.tables).toEqual(expected.tables);
  });

  it("when every migration is applied, then the enums and their values match in order", () => {
    expect(actual.enums).toEqual(expected.enums);
  });

  it("when every migration is applied, then primary keys, unique and plain indexes match by name and columns", () => {
    expect(actual.indexes).toEqual(expected.indexes);
  });

  it("when every migration is applied, then foreign keys match with their delete and update actions", () => {
    expect(actual.foreignKeys).toEqual(expected.foreignKeys);
    expect(actual.otherConstraints).toEqual([]);
  });

  it("when every migration is applied, then the database holds no function or procedure of ours: the logic lives in TypeScript", async () => {
    const routines = await db.query<{ name: string }>(
      `SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = current_schema()
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
    );
    expect(routines.map((r) => r.name)).toEqual([]);
  });
});

describe("the comparison itself", () => {
  it("when the database drifts from the schema, then the shapes differ where it drifted", async () => {
    const drifted = await createEmptyDatabase(inject("adminDatabaseUrl"));
    try {
      await migrate({ databaseUrl: drifted.url });
      await drifted.query(`ALTER TABLE "Product" ALTER COLUMN "description" DROP DEFAULT`);
      await drifted.query(`DROP INDEX "Order_status_createdAt_idx"`);
      await drifted.query(`ALTER TABLE "Refund" DROP CONSTRAINT "Refund_orderId_fkey",
        ADD CONSTRAINT "Refund_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE`);
      const shape = await shapeFromDatabase(drifted.url);
      expect(shape.tables.Product!.description).toEqual({ ...expected.tables.Product!.description, default: null });
      expect(shape.indexes["Order_status_createdAt_idx"]).toBeUndefined();
      expect(shape.foreignKeys["Refund_orderId_fkey"]!.onDelete).toBe("c");
      expect(expected.foreignKeys["Refund_orderId_fkey"]!.onDelete).toBe("r");
    } finally {
      await drifted.drop();
    }
  });

  it("when the schema changes, then Prisma's parser reports the change", () => {
    const changed = shapeFromPrismaSchema(
      schemaText.replace(/description String\s+@default\(""\)/, 'description String @default("none")').replace("@@index([status, createdAt])", ""),
    );
    expect(changed.tables.Product!.description!.default).toBe("'none'::text");
    expect(changed.indexes["Order_status_createdAt_idx"]).toBeUndefined();
    expect(expected.indexes["Order_status_createdAt_idx"]).toEqual({
      table: "Order",
      columns: ["status", "createdAt"],
      unique: false,
      primary: false,
      method: "btree",
      partial: false,
    });
  });
});

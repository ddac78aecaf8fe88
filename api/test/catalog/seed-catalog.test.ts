import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEMO_PRODUCTS } from "../../src/catalog/demo-products.js";
import { CatalogFileError, catalogToSeed, readCatalogFile, seedCatalog } from "../../src/catalog/seed-catalog.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";
import { runTs } from "../helpers/run-script.js";

let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await setupTestApp({ name: "seed-catalog" });
  dir = await mkdtemp(path.join(os.tmpdir(), "checkout-catalog-"));
});
afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await t.ctx.prisma.user.deleteMany();
  await t.ctx.prisma.product.deleteMany();
});

const products = () => t.ctx.prisma.product.findMany({ orderBy: { sku: "asc" } });
const demoSkus = DEMO_PRODUCTS.map((p) => p.sku).sort();

async function catalogFile(name: string, content: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

async function catalogProblems(file: string): Promise<string[]> {
  const error = await readCatalogFile(file).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(CatalogFileError);
  return (error as CatalogFileError).problems;
}

describe("seedCatalog", () => {
  it("when the demo catalogue is seeded into an empty database, then every demo product is created", async () => {
    const result = await seedCatalog(t.ctx, catalogToSeed({ includeDemo: true, fileEntries: [] }));

    expect(result.created.sort()).toEqual(demoSkus);
    const rows = await products();
    expect(rows.map(({ sku, name, description, unitAmount, currency, active }) => ({ sku, name, description, unitAmount, currency, active }))).toEqual(
      [...DEMO_PRODUCTS].sort((a, b) => a.sku.localeCompare(b.sku)),
    );
  });

  it("when it runs twice, then the second run writes nothing: same rows, same updatedAt", async () => {
    const entries = catalogToSeed({ includeDemo: true, fileEntries: [] });
    await seedCatalog(t.ctx, entries);
    const before = await products();

    const second = await seedCatalog(t.ctx, entries);

    expect(second).toEqual({ created: [], updated: [], unchanged: entries.map((e) => e.sku) });
    expect(await products()).toEqual(before);
  });

  it("when a catalogue entry changes the price of an existing sku, then only that product is updated in place", async () => {
    await seedCatalog(t.ctx, catalogToSeed({ includeDemo: true, fileEntries: [] }));
    const before = await products();
    const mug = DEMO_PRODUCTS.find((p) => p.sku === "demo-mug")!;

    const result = await seedCatalog(t.ctx, catalogToSeed({ includeDemo: true, fileEntries: [{ ...mug, unitAmount: 1650 }] }));

    expect(result.updated).toEqual(["demo-mug"]);
    const after = await products();
    const [mugBefore, mugAfter] = [before, after].map((rows) => rows.find((p) => p.sku === "demo-mug")!);
    expect(mugAfter).toMatchObject({ id: mugBefore!.id, unitAmount: 1650 });
    expect(mugAfter!.updatedAt.getTime()).toBeGreaterThan(mugBefore!.updatedAt.getTime());
    expect(after.filter((p) => p.sku !== "demo-mug")).toEqual(before.filter((p) => p.sku !== "demo-mug"));
  });

  it("when production seeds, then the demo catalogue is left out and the file's products are all there is", () => {
    const entry = { sku: "live-1", name: "Live product", description: "", unitAmount: 1000, currency: "usd", active: true };
    expect(catalogToSeed({ includeDemo: false, fileEntries: [entry] })).toEqual([entry]);
    expect(catalogToSeed({ includeDemo: true, fileEntries: [entry] }).map((e) => e.sku).sort()).toEqual([...demoSkus, "live-1"].sort());
  });
});

describe("readCatalogFile", () => {
  it("when the file is valid, then defaults apply and currencies are lower-cased", async () => {
    const file = await catalogFile("valid.json", [{ sku: "tea-1", name: " Green tea ", unitAmount: 850, currency: "EUR" }]);
    expect(await readCatalogFile(file)).toEqual([{ sku: "tea-1", name: "Green tea", description: "", unitAmount: 850, currency: "eur", active: true }]);
  });

  it("when entries are invalid, then every problem is named by index and field", async () => {
    const file = await catalogFile("invalid.json", [
      { sku: "ok-1", name: "Fine", unitAmount: 100, currency: "eur" },
      { sku: "bad sku", name: "", unitAmount: 19.99, currency: "euro", price: 5 },
      { sku: "ok-2", name: "No price", currency: "eur", active: "yes" },
    ]);
    expect((await catalogProblems(file)).sort()).toEqual(
      [
        "CATALOG_FILE[1].sku: may contain only letters, digits, '.', '_' and '-'",
        "CATALOG_FILE[1].name: is required",
        "CATALOG_FILE[1].unitAmount: must be an integer amount in the currency's minor unit",
        "CATALOG_FILE[1].currency: must be a three-letter ISO 4217 code",
        "CATALOG_FILE[1].price: is not allowed",
        "CATALOG_FILE[2].unitAmount: must be an integer amount in the currency's minor unit",
        "CATALOG_FILE[2].active: must be true or false",
      ].sort(),
    );
  });

  it("when a sku appears twice, then the second one is refused", async () => {
    const entry = { sku: "dup", name: "Twice", unitAmount: 100, currency: "eur" };
    expect(await catalogProblems(await catalogFile("dup.json", [entry, entry]))).toEqual(["CATALOG_FILE[1].sku: appears more than once"]);
  });

  it.each([
    ["not JSON", "{ nope", "CATALOG_FILE: is not valid JSON"],
    ["an object instead of a list", { sku: "x" }, "CATALOG_FILE: must be a JSON list of products"],
  ])("when the file is %s, then it is refused", async (_what, content, problem) => {
    expect(await catalogProblems(await catalogFile(`odd-${Math.random()}.json`, content))).toEqual([problem]);
  });

  it("when the file does not exist, then it says so", async () => {
    expect(await catalogProblems(path.join(dir, "missing.json"))).toEqual(["CATALOG_FILE: file not found"]);
  });
});

describe("npm run db:seed", () => {
  const seed = (env: Record<string, string>) => runTs("api/src/jobs/seed.ts", { DATABASE_URL: t.databaseUrl, LOG_LEVEL: "info", ...env });

  it("when run in production with a CATALOG_FILE, then only the file's products exist, and a second run changes nothing", async () => {
    const file = await catalogFile("live.json", [
      { sku: "live-1", name: "Live one", unitAmount: 1200, currency: "usd" },
      { sku: "live-2", name: "Live two", unitAmount: 800, currency: "usd", active: false },
    ]);

    const first = await seed({ NODE_ENV: "production", CATALOG_FILE: file });
    expect(first.code).toBe(0);
    const rows = await products();
    expect(rows.map((p) => [p.sku, p.active])).toEqual([
      ["live-1", true],
      ["live-2", false],
    ]);

    const second = await seed({ NODE_ENV: "production", CATALOG_FILE: file });
    expect(second.code).toBe(0);
    expect(await products()).toEqual(rows);
  });

  it("when run outside production with ADMIN_EMAIL and ADMIN_PASSWORD, then demo products and the admin exist, and the password is never printed", async () => {
    const password = testPassword("seed-admin");

    const run = await seed({ NODE_ENV: "development", ADMIN_EMAIL: "Admin@Example.com", ADMIN_PASSWORD: password, BCRYPT_COST: "4" });

    expect(run.code).toBe(0);
    expect((await products()).map((p) => p.sku)).toEqual(demoSkus);
    const admin = await t.ctx.prisma.user.findUniqueOrThrow({ where: { email: "admin@example.com" } });
    expect(admin.role).toBe("ADMIN");
    expect(run.stdout + run.stderr).not.toContain(password);
  });

  it("when the CATALOG_FILE is invalid, then it exits 1 with one line per problem and writes nothing", async () => {
    const file = await catalogFile("broken.json", [{ sku: "x", name: "X", unitAmount: -5, currency: "eur" }]);

    const run = await seed({ NODE_ENV: "development", CATALOG_FILE: file });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("  CATALOG_FILE[0].unitAmount: must be at least 1");
    expect(await products()).toEqual([]);
  });

  it("when DATABASE_URL is missing, then it exits 1 naming it", async () => {
    const run = await runTs("api/src/jobs/seed.ts", {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("DATABASE_URL: is required");
  });
});

import { readFile } from "node:fs/promises";
import type { AppContext } from "../context.js";
import { fieldErrors } from "../platform/http/validate.js";
import { DEMO_PRODUCTS } from "./demo-products.js";
import { catalogFileSchema, type CatalogEntry } from "./schema.js";

export interface SeedCatalogResult {
  created: string[];
  updated: string[];
  unchanged: string[];
}

export class CatalogFileError extends Error {
  override name = "CatalogFileError";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

/**
 * Reads and validates a CATALOG_FILE. Every problem is reported at once, one line each,
 * as `CATALOG_FILE[index].field: message`.
 */
export async function readCatalogFile(file: string): Promise<CatalogEntry[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    const reason = (err as { code?: string }).code === "ENOENT" ? "file not found" : err instanceof SyntaxError ? "is not valid JSON" : "cannot be read";
    throw new CatalogFileError([`CATALOG_FILE: ${reason}`]);
  }
  const parsed = catalogFileSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const errors = fieldErrors(parsed.error);
  throw new CatalogFileError(
    Object.entries(errors).flatMap(([field, messages]) =>
      messages.map((message) => `CATALOG_FILE${field === "body" ? "" : field.replace(/^(\d+)/, "[$1]")}: ${message}`),
    ),
  );
}

/** What to seed: the demo catalogue outside production, then the file's products (the file wins on a shared sku). */
export function catalogToSeed(options: { includeDemo: boolean; fileEntries: CatalogEntry[] }): CatalogEntry[] {
  const bySku = new Map<string, CatalogEntry>();
  for (const entry of [...(options.includeDemo ? DEMO_PRODUCTS : []), ...options.fileEntries]) bySku.set(entry.sku, entry);
  return [...bySku.values()];
}

const sameContent = (row: CatalogEntry, entry: CatalogEntry) =>
  row.name === entry.name &&
  row.description === entry.description &&
  row.unitAmount === entry.unitAmount &&
  row.currency === entry.currency &&
  row.active === entry.active;

/**
 * Upserts products by sku. Idempotent: a product whose content already matches is not
 * written at all, so a second run changes nothing, not even `updatedAt`. Each upsert is
 * atomic and a rerun converges, so a run cut short needs no cleanup. Products absent
 * from the list are left alone (deactivate them with `active: false`, never delete:
 * orders reference them).
 */
export async function seedCatalog(ctx: Pick<AppContext, "prisma" | "logger">, entries: CatalogEntry[]): Promise<SeedCatalogResult> {
  const result: SeedCatalogResult = { created: [], updated: [], unchanged: [] };
  const existing = await ctx.prisma.product.findMany({ where: { sku: { in: entries.map((e) => e.sku) } } });
  const bySku = new Map(existing.map((row) => [row.sku, row]));
  for (const entry of entries) {
    const row = bySku.get(entry.sku);
    if (row && sameContent(row, entry)) {
      result.unchanged.push(entry.sku);
      continue;
    }
    // upsert, not create: another seed running at the same time may have created it.
    await ctx.prisma.product.upsert({ where: { sku: entry.sku }, create: entry, update: entry });
    (row ? result.updated : result.created).push(entry.sku);
  }
  ctx.logger.info(
    { created: result.created.length, updated: result.updated.length, unchanged: result.unchanged.length },
    "catalog seeded",
  );
  return result;
}

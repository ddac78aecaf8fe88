import { z } from "zod";
import { seedAdmin } from "../auth/seed-admin.js";
import { CatalogFileError, catalogToSeed, readCatalogFile, seedCatalog } from "../catalog/seed-catalog.js";
import { createDatabase } from "../platform/db/database.js";
import { createLogger } from "../platform/logger.js";

/**
 * `npm run db:seed`: idempotent, safe to run on every deploy. Needs only
 * DATABASE_URL plus the optional variables below, like `db:migrate`, so it can run before
 * the app's secrets exist. Problems are reported one line each, naming the variable only.
 */
const seedEnvSchema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must start with postgresql:// or postgres://"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    CATALOG_FILE: z.string().optional(),
    ADMIN_EMAIL: z.string().optional(),
    ADMIN_PASSWORD: z.string().optional(),
    BCRYPT_COST: z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(z.number().int().min(4).max(15)).default(12),
  })
  .superRefine(
    (env, ctx) => {
      if (env.NODE_ENV === "production" && typeof env.BCRYPT_COST === "number" && env.BCRYPT_COST < 10) {
        ctx.addIssue({ code: "custom", path: ["BCRYPT_COST"], message: "below 10 is refused in production" });
      }
    },
    { when: () => true },
  );

const source = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ""));
const parsed = seedEnvSchema.safeParse(source);
if (!parsed.success) {
  const lines = parsed.error.issues.map((issue) => {
    const variable = String(issue.path[0]);
    return `  ${variable}: ${source[variable] === undefined ? "is required" : issue.message}`;
  });
  process.stderr.write(`Invalid configuration:\n${[...new Set(lines)].join("\n")}\n`);
  process.exit(1);
}
const env = parsed.data;

const logger = createLogger({ level: env.LOG_LEVEL, name: "seed" });
const db = createDatabase(
  {
    url: env.DATABASE_URL,
    directUrl: env.DATABASE_URL,
    poolMax: 2,
    connectionTimeoutMs: 10_000,
    queryTimeoutMs: 60_000,
    idleTimeoutMs: 10_000,
    transactionMaxWaitMs: 10_000,
    transactionTimeoutMs: 60_000,
  },
  logger,
);

try {
  // 1. Products: the demo catalogue only outside production, then CATALOG_FILE (upsert by sku).
  const fileEntries = env.CATALOG_FILE ? await readCatalogFile(env.CATALOG_FILE) : [];
  await seedCatalog({ prisma: db.prisma, logger }, catalogToSeed({ includeDemo: env.NODE_ENV !== "production", fileEntries }));

  // 2. Admin user from ADMIN_EMAIL / ADMIN_PASSWORD when set, created once (api/src/auth/seed-admin.ts).
  await seedAdmin({ prisma: db.prisma, logger }, { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD, bcryptCost: env.BCRYPT_COST });
} catch (err) {
  if (err instanceof CatalogFileError) {
    process.stderr.write(`Invalid catalog:\n${err.problems.map((p) => `  ${p}`).join("\n")}\n`);
  } else {
    // seedAdmin's errors name the variable and never its value.
    logger.error({ err: { message: (err as Error).message } }, "seed failed");
  }
  process.exitCode = 1;
} finally {
  await db.close();
}

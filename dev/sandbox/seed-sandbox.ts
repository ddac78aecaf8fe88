import { hashPassword, verifyPassword } from "../../api/src/auth/passwords.js";
import { seedAdmin } from "../../api/src/auth/seed-admin.js";
import { catalogToSeed, readCatalogFile, seedCatalog } from "../../api/src/catalog/seed-catalog.js";
import type { Config } from "../../api/src/platform/config.js";
import { createDatabase } from "../../api/src/platform/db/database.js";
import { migrate } from "../../api/src/platform/db/migrations.js";
import type { Logger } from "../../api/src/platform/logger.js";
import { DEMO_ADMIN, DEMO_USER } from "./sandbox-config.js";

/**
 * Migrations and demo data, with the same functions `npm run db:migrate` and `npm run db:seed`
 * use (run in this process: one `tsx` start-up less). Idempotent, so every `npm run dev`
 * runs it and a database kept from an earlier run is simply brought up to date.
 */
export async function prepareDatabase(config: Config, logger: Logger): Promise<{ migrationsApplied: number }> {
  const migrated = await migrate({ databaseUrl: config.database.directUrl, logger });
  const db = createDatabase({ ...config.database, poolMax: 2 }, logger);
  try {
    const fileEntries = config.seed.catalogFile ? await readCatalogFile(config.seed.catalogFile) : [];
    await seedCatalog({ prisma: db.prisma, logger }, catalogToSeed({ includeDemo: true, fileEntries }));
    await seedAdmin({ prisma: db.prisma, logger }, { ...DEMO_ADMIN, bcryptCost: config.auth.bcryptCost });

    // The demo shopper: created once; its password is put back if someone changed it, so the
    // printed credentials always work.
    const existing = await db.prisma.user.findUnique({ where: { email: DEMO_USER.email } });
    if (!existing) {
      await db.prisma.user.create({ data: { email: DEMO_USER.email, passwordHash: await hashPassword(DEMO_USER.password, config.auth.bcryptCost), role: "USER" } });
    } else if (!existing.isActive || !(await verifyPassword(DEMO_USER.password, existing.passwordHash))) {
      await db.prisma.user.update({
        where: { id: existing.id },
        data: { isActive: true, passwordHash: await hashPassword(DEMO_USER.password, config.auth.bcryptCost) },
      });
    }
  } finally {
    await db.close();
  }
  return { migrationsApplied: migrated.applied.length };
}

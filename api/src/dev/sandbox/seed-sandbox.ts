import { hashPassword, verifyPassword } from "../../auth/passwords.js";
import { seedAdmin } from "../../auth/seed-admin.js";
import { catalogToSeed, readCatalogFile, seedCatalog } from "../../catalog/seed-catalog.js";
import type { Config } from "../../config.js";
import { createDatabase } from "../../db/database.js";
import { migrate } from "../../db/migrations.js";
import type { Logger } from "../../logger.js";
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

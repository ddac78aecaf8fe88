import path from "node:path";
import { defineConfig } from "prisma/config";
import { migrationDatabaseUrl } from "./api/src/platform/env-unset.js";

// No `env()` here: `prisma generate` runs during `npm ci` and the Docker build, where
// DATABASE_URL is unset, and must not fail. Migrations use the direct connection; an empty
// variable (Compose's `NAME=`) counts as unset, as it does for the API's config.
export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  datasource: {
    url: migrationDatabaseUrl(process.env) ?? "postgresql://localhost:5432/unset",
  },
});

import path from "node:path";
import { defineConfig } from "prisma/config";

// No `env()` here: `prisma generate` runs during `npm ci` and the Docker build, where
// DATABASE_URL is unset, and must not fail. Migrations use the direct connection.
export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  datasource: {
    url: process.env.DIRECT_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://localhost:5432/unset",
  },
});

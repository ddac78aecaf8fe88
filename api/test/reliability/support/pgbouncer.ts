import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../helpers/postgres.js";

const CANDIDATES = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"];

/** Debian's PgBouncer binary, when installed (`.ci/run` installs it). */
export const PGBOUNCER_BINARY = CANDIDATES.find((candidate) => existsSync(candidate));

export interface PgBouncer {
  port: number;
  /** The same database as `directUrl`, reached through the pooler. */
  urlFor(directUrl: string): string;
  /** PgBouncer's own log: logins, pool events, errors. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer in transaction pooling mode in front of `upstreamUrl`'s server, with a
 * config of its own on a free port, as a deployment with many instances would run it.
 * It refuses to run as root, so as root it runs as the `postgres` user.
 * Clients authenticate as anyone (`auth_type = any`); PgBouncer logs in upstream with the
 * upstream URL's credentials.
 */
export async function startPgBouncer(upstreamUrl: string, options: { poolSize?: number } = {}): Promise<PgBouncer> {
  if (!PGBOUNCER_BINARY) throw new Error("pgbouncer is not installed (apt-get install -y pgbouncer)");
  const upstream = new URL(upstreamUrl);
  const dir = await mkdtemp(path.join(os.tmpdir(), "checkout-pgbouncer-"));
  const port = await freePort();
  const password = decodeURIComponent(upstream.password);
  const config = [
    "[databases]",
    // Any database name is forwarded to the same name upstream.
    `* = host=${upstream.hostname} port=${upstream.port || 5432} user=${decodeURIComponent(upstream.username) || "postgres"}${password ? ` password=${password}` : ""}`,
    "",
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    "auth_type = any",
    "pool_mode = transaction",
    "max_client_conn = 1000",
    `default_pool_size = ${options.poolSize ?? 20}`,
    "server_reset_query =",
    "ignore_startup_parameters = extra_float_digits",
    `logfile = ${path.join(dir, "pgbouncer.log")}`,
    `pidfile = ${path.join(dir, "pgbouncer.pid")}`,
    "",
  ].join("\n");
  const configFile = path.join(dir, "pgbouncer.ini");
  await writeFile(configFile, config, { mode: 0o600 });

  // Spawned with the postgres user's ids directly (no su/runuser in between), so our
  // signals reach PgBouncer itself.
  const owner = process.getuid?.() === 0 ? postgresIds() : undefined;
  if (owner) {
    await chown(dir, owner.uid, owner.gid);
    await chown(configFile, owner.uid, owner.gid);
  }
  const child: ChildProcess = spawn(PGBOUNCER_BINARY, [configFile], { stdio: ["ignore", "pipe", "pipe"], ...owner });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  await waitForListening(port, exited, () => output);

  return {
    port,
    urlFor(directUrl) {
      const url = new URL(directUrl);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    log: () => readFile(path.join(dir, "pgbouncer.log"), "utf8").catch(() => ""),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGINT");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const ids = { uid: id("-u"), gid: id("-g") };
  if (!(ids.uid > 0 && ids.gid > 0)) throw new Error("PgBouncer refuses to run as root, and there is no postgres user to run it as");
  return ids;
}

async function waitForListening(port: number, exited: Promise<void>, output: () => string): Promise<void> {
  const { connect } = await import("node:net");
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`pgbouncer exited at start-up: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`pgbouncer did not listen on ${port} within 10 s: ${output()}`);
}

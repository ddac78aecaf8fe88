import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commandLine, isAlive } from "./processes.js";

/** One launcher per data folder: a second one would stop the first one's PostgreSQL as a "leftover". */
const lockFile = (dataDir: string) => path.join(dataDir, "sandbox.pid");

export class AlreadyRunningError extends Error {
  override name = "AlreadyRunningError";
}

/** Throws when a live launcher holds `dataDir`; a lock left by a killed launcher is ignored. */
export function assertNoOtherRun(dataDir: string): void {
  const file = lockFile(dataDir);
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return;
  // The PID may have been reused by an unrelated process since that launcher was killed.
  if (!(commandLine(pid) ?? "").includes("sandbox")) return;
  throw new AlreadyRunningError(`another npm run dev (PID ${pid}) is running with ${dataDir}; stop it first (Ctrl-C in its terminal)`);
}

export function claimDataDir(dataDir: string): void {
  writeFileSync(lockFile(dataDir), `${process.pid}\n`);
}

/** Removes the lock if it is still ours. */
export function releaseDataDir(dataDir: string): void {
  const file = lockFile(dataDir);
  if (existsSync(file) && readFileSync(file, "utf8").trim() === String(process.pid)) rmSync(file, { force: true });
}

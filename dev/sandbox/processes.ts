import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Small process helpers for the launcher: it must tell a process it started in an earlier,
 * killed run from an unrelated process that happens to have the same (reused) PID.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True while the process exists, even when it belongs to another user (EPERM). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The command line of `pid` (/proc on Linux, `ps` elsewhere); undefined when it is gone. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    // Not Linux, or the process is gone: ask ps.
  }
  const ps = spawnSync("ps", ["-p", String(pid), "-o", "command="], { encoding: "utf8" });
  const line = ps.status === 0 ? ps.stdout.trim() : "";
  return line === "" ? undefined : line;
}

/** Polls until `pid` is gone; false when it is still there after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** True while any process of the process group `pgid` exists. */
export function groupAlive(pgid: number): boolean {
  return isAlive(-pgid);
}

/** Sends `signal` to a process (or a group, with a negative id), ignoring one that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { startDevPostgres, type DevPostgres } from "../../../../dev/sandbox/dev-postgres.js";
import { isAlive, waitForExit } from "../../../../dev/sandbox/processes.js";
import { freePort, makeDataDir, removeDataDir } from "./launcher-process.js";

/** As root, the sandbox runs PostgreSQL as "postgres"; otherwise as the current user. */
function serverUser(): { uid: number; gid: number } | object {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>("SELECT 1 AS n")).rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe("the sandbox's PostgreSQL after a crash", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  it(
    "when postmaster.pid names a PID that another process now has, then the stale lock is removed and PostgreSQL starts",
    async () => {
      const dataDir = makeDataDir();
      cleanups.push(() => removeDataDir(dataDir));
      const pgData = path.join(dataDir, "postgres");
      const options = { dataDir: pgData, port: await freePort(), logFile: path.join(dataDir, "postgres.log") };
      const crashed: DevPostgres = await startDevPostgres(options);
      // A crash of the whole machine or process tree: the postmaster dies without removing its lock.
      process.kill(crashed.pid, "SIGKILL");
      expect(await waitForExit(crashed.pid, 10_000)).toBe(true);
      // Its PID now belongs to an unrelated, live process (PIDs are reused) of the same user as
      // the server: PostgreSQL then refuses to start ("lock file already exists").
      const stranger = spawn("sleep", ["60"], { stdio: "ignore", ...serverUser() });
      cleanups.push(() => void stranger.kill("SIGKILL"));
      const lockFile = path.join(pgData, "postmaster.pid");
      const lines = readFileSync(lockFile, "utf8").split("\n");
      writeFileSync(lockFile, [String(stranger.pid), ...lines.slice(1)].join("\n"));

      const notices: string[] = [];
      const restarted = await startDevPostgres({ ...options, notice: (line) => notices.push(line) });
      cleanups.push(() => restarted.stop());

      expect(notices).toEqual([`Removed a stale PostgreSQL lock (postmaster.pid named PID ${stranger.pid}, now another process).`]);
      expect(await selectOne(restarted.serverUrl)).toBe(1);
      expect(isAlive(stranger.pid!)).toBe(true);
      await restarted.stop();
      expect(isAlive(restarted.pid)).toBe(false);
    },
    60_000,
  );
});

import { existsSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive, waitForExit } from "../../../../dev/sandbox/processes.js";
import { freeSandboxPorts, makeDataDir, removeDataDir, startLauncher, type LauncherRun } from "./launcher-process.js";

/** Processes whose command line mentions `dataDir`: PostgreSQL, or the launcher's own. */
function processesUsing(dataDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmd.includes(dataDir)) found.push(`${pid}: ${cmd}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The API's processes (tsx watch, the API) that a launcher started: they carry its PID. */
function apiProcessesOf(launcherPid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`SANDBOX_LAUNCHER_PID=${launcherPid}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function occupy(port: number): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

describe("npm run dev (the sandbox launcher) when things are in the way", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  function launch(ports: Awaited<ReturnType<typeof freeSandboxPorts>>, dataDir: string): LauncherRun {
    const run = startLauncher({ ports, dataDir });
    cleanups.push(async () => {
      if (run.child.exitCode === null) run.child.kill("SIGKILL");
      await run.exited;
    });
    return run;
  }

  it("when the API's port is taken, then it names that port and exits 1 before starting anything", async () => {
    const ports = await freeSandboxPorts();
    const dataDir = makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const blocker = await occupy(ports.api);
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    const run = launch(ports, dataDir);

    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`Port ${ports.api} (the API) is already in use`);
    expect(run.output()).toContain("set PORT to another port");
    expect(existsSync(path.join(dataDir, "postgres"))).toBe(false);
    expect(await portAnswers(ports.postgres)).toBe(false);
  });

  it("when two ports are taken, then it names both at once", async () => {
    const ports = await freeSandboxPorts();
    const dataDir = makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    for (const port of [ports.storefront, ports.postgres]) {
      const blocker = await occupy(port);
      cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    }

    const run = launch(ports, dataDir);

    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`Port ${ports.storefront} (the storefront) is already in use`);
    expect(run.output()).toContain(`Port ${ports.postgres} (PostgreSQL) is already in use`);
    expect(run.output()).not.toContain("(the API)");
  });

  it(
    "when the last run was killed with SIGKILL, leaving PostgreSQL and its postmaster.pid, then the next run stops it, starts cleanly on the kept data, and its Ctrl-C leaves no process",
    async () => {
      const ports = await freeSandboxPorts();
      const dataDir = makeDataDir();
      cleanups.push(() => removeDataDir(dataDir));
      const first = launch(ports, dataDir);
      await first.ready();

      expect(apiProcessesOf(first.child.pid!)).not.toEqual([]);
      // Killed along with its terminal: nothing reads what the launcher's children write any more.
      first.child.kill("SIGKILL");
      await first.exited;
      first.child.stdout!.destroy();
      first.child.stderr!.destroy();
      const lock = path.join(dataDir, "postgres", "postmaster.pid");
      const leftover = Number(readFileSync(lock, "utf8").split("\n")[0]);
      expect(isAlive(leftover)).toBe(true);
      // The API's processes notice their launcher is gone and end (parent-watch.mjs).
      await expect.poll(() => apiProcessesOf(first.child.pid!), { timeout: 15_000, interval: 200 }).toEqual([]);
      expect(await portAnswers(ports.api)).toBe(false);

      const second = launch(ports, dataDir);
      await second.ready();
      expect(second.output()).toContain(`Stopping the PostgreSQL an earlier run left behind (PID ${leftover})`);
      expect(await waitForExit(leftover, 1000)).toBe(true);
      // The database survived: nothing was migrated again.
      expect(second.output()).toContain("Database ready (0 migrations applied now");
      const ready = await fetch(`http://127.0.0.1:${ports.api}/ready`);
      expect(ready.status).toBe(200);

      expect(await second.interrupt()).toBe(0);
      expect(second.output()).toContain("Sandbox stopped.");
      expect(processesUsing(dataDir)).toEqual([]);
      expect(existsSync(lock)).toBe(false);
      expect(await portAnswers(ports.api)).toBe(false);
      expect(await portAnswers(ports.storefront)).toBe(false);
      expect(await portAnswers(ports.stripe)).toBe(false);
    },
    180_000,
  );
});

import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closedFolders } from "../../../../dev/sandbox/dev-postgres.js";
import { freeSandboxPorts, startLauncher } from "./launcher-process.js";

const stranger = { uid: 54321, gid: 54321 };
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  cleanups.length = 0;
});

/** A `mktemp -d` folder: mode 700, the current user's. */
function privateFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sandbox-private-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("folders the sandbox's PostgreSQL user cannot enter", () => {
  it("when a folder on the way is mode 700 and another user's, then it is named, and not once o+x is set", () => {
    const dir = privateFolder();
    mkdirSync(path.join(dir, "app", "node_modules"), { recursive: true });
    expect(closedFolders(path.join(dir, "app", "node_modules"), stranger)).toEqual([dir]);
    chmodSync(dir, 0o701);
    expect(closedFolders(path.join(dir, "app", "node_modules"), stranger)).toEqual([]);
  });

  it("when the folder belongs to the user, then nothing is closed to it; folders not created yet are not judged", () => {
    const dir = privateFolder();
    expect(closedFolders(path.join(dir, "not", "yet"), { uid: process.getuid!(), gid: process.getgid!() })).toEqual([]);
  });
});

const isRoot = process.getuid?.() === 0;
if (!isRoot) process.stdout.write("not root: the launcher's root-in-a-private-folder check is covered by the unit tests above only\n");

describe.runIf(isRoot)("npm run dev as root in a private folder", () => {
  it("when the data folder sits in a mode-700 folder, then it stops before starting anything with one message naming the folder and the fix", async () => {
    const dir = privateFolder();
    const dataDir = path.join(dir, "sandbox-data");
    const ports = await freeSandboxPorts();
    const run = startLauncher({ ports, dataDir });
    cleanups.push(() => void (run.child.exitCode === null && run.child.kill("SIGKILL")));

    expect(await run.exited).toBe(1);
    const output = run.output();
    expect(output).toContain(`runs as root, so PostgreSQL runs as the user "postgres", who cannot enter ${dir}`);
    expect(output).toContain(`chmod o+x ${dir}`);
    expect(output).toContain("Run npm run dev as a normal user");
    expect(output).not.toMatch(/EACCES|initdb failed|Starting PostgreSQL/);
    expect(existsSync(dataDir)).toBe(false);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = net.connect(ports.postgres, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    expect(answered).toBe(false);
  }, 60_000);
});

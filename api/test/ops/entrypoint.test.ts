import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "./repo-files.js";

const ENTRYPOINT = path.join(repoRoot, "entrypoint.sh");

let bin: string;
let calls: string;

/** Stand-ins on PATH: each records its name, its pid, its parent pid, its cwd and its argv. */
function standIn(name: string, exitCode = 0) {
  const file = path.join(bin, name);
  writeFileSync(file, `#!/bin/sh\necho "${name} pid=$$ ppid=$PPID cwd=$(pwd) argv=$*" >> "${calls}"\nexit ${exitCode}\n`);
  chmodSync(file, 0o755);
}

async function run(env: Record<string, string>, args: string[] = []) {
  const child = spawn("/bin/sh", [ENTRYPOINT, ...args], { cwd: os.tmpdir(), env: { PATH: `${bin}:/usr/bin:/bin`, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const lines = readFileSync(calls, "utf8").split("\n").filter(Boolean);
  return { code, stdout, stderr, pid: child.pid, lines };
}

const field = (line: string | undefined, key: string) => new RegExp(`${key}=(\\S*)`).exec(line ?? "")?.[1];
const DB = { DATABASE_URL: "postgresql://app:pw@db:5432/checkout" };

beforeEach(() => {
  bin = mkdtempSync(path.join(os.tmpdir(), "entrypoint-test-"));
  calls = path.join(bin, "calls.log");
  writeFileSync(calls, "");
  standIn("prisma");
  standIn("node");
});
afterEach(() => rmSync(bin, { recursive: true, force: true }));

describe("entrypoint.sh", () => {
  it("when DATABASE_URL is set, then it runs prisma migrate deploy first and then execs the API as npm start does", async () => {
    const result = await run(DB);
    expect(result.code).toBe(0);
    expect(result.lines.map((l) => l.split(" ")[0])).toEqual(["prisma", "node"]);
    expect(result.lines[0]).toMatch(/argv=migrate deploy$/);
    // npm start's command, with no V8 tuning flags: Node's defaults under the container's limit.
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: { start: string } };
    expect(`node ${result.lines[1]!.split("argv=")[1]}`).toBe(pkg.scripts.start);
    expect(pkg.scripts.start).toBe("node dist/main.js");
  });

  it("when node starts, then it has replaced the shell (same pid), so SIGTERM from tini reaches Node", async () => {
    const result = await run(DB);
    const [prisma, node] = result.lines;
    expect(Number(field(node, "pid"))).toBe(result.pid);
    // prisma, by contrast, ran as a child of the shell.
    expect(Number(field(prisma, "ppid"))).toBe(result.pid);
  });

  it("when started from another directory, then it runs from the app folder where dist/ lives", async () => {
    const result = await run(DB);
    expect(field(result.lines[1], "cwd")).toBe(repoRoot);
  });

  it("when a command is given, then it migrates and execs that command instead", async () => {
    const result = await run(DB, ["node", "dist/jobs/maintenance.js"]);
    expect(result.lines.map((l) => l.split(" ")[0])).toEqual(["prisma", "node"]);
    expect(result.lines[1]).toMatch(/argv=dist\/jobs\/maintenance\.js$/);
  });

  it("when DATABASE_URL is missing, then it fails fast with one clear line and runs nothing", async () => {
    const result = await run({});
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^entrypoint: DATABASE_URL is not set/);
    expect(result.lines).toEqual([]);
  });

  it("when DATABASE_URL is not a PostgreSQL URL, then it fails without echoing the value", async () => {
    const result = await run({ DATABASE_URL: "mysql://user:secret-pw@host/db" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/DATABASE_URL must start with postgresql:\/\//);
    expect(result.stderr + result.stdout).not.toContain("secret-pw");
    expect(result.lines).toEqual([]);
  });

  it("when MIGRATE_ON_START is false, then it skips the migration and starts the server", async () => {
    const result = await run({ ...DB, MIGRATE_ON_START: "false" });
    expect(result.code).toBe(0);
    expect(result.lines.map((l) => l.split(" ")[0])).toEqual(["node"]);
  });

  it("when MIGRATE_ON_START is empty (Compose's NAME=), then it migrates as by default", async () => {
    const result = await run({ ...DB, MIGRATE_ON_START: "" });
    expect(result.lines.map((l) => l.split(" ")[0])).toEqual(["prisma", "node"]);
  });

  it("when MIGRATE_ON_START is neither true nor false, then it refuses to start and runs nothing", async () => {
    const result = await run({ ...DB, MIGRATE_ON_START: "no" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/MIGRATE_ON_START must be true or false/);
    expect(result.lines).toEqual([]);
  });

  it("when the migration fails, then the server never starts and the exit code is non-zero", async () => {
    standIn("prisma", 3);
    const result = await run(DB);
    expect(result.code).toBe(3);
    expect(result.lines.map((l) => l.split(" ")[0])).toEqual(["prisma"]);
  });
});

// Installed by .ci/run from Debian's packages; required there, optional on a laptop (as
// Redis is).
const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
if (!hasShellcheck && !process.env.CI) process.stdout.write("shellcheck not installed: entrypoint.sh lint skipped (CI installs it)\n");

describe.runIf(hasShellcheck || process.env.CI)("entrypoint.sh under shellcheck", () => {
  it("when linted as POSIX sh, then shellcheck reports nothing", () => {
    const result = spawnSync("shellcheck", ["--shell=sh", "--severity=style", ENTRYPOINT], { encoding: "utf8" });
    expect(result.error).toBeUndefined();
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { clearLeftoverServer } from "../../../../dev/sandbox/dev-postgres.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface SandboxPorts {
  api: number;
  storefront: number;
  stripe: number;
  postgres: number;
}

export async function freeSandboxPorts(): Promise<SandboxPorts> {
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [api, storefront, stripe, postgres] = [...ports] as [number, number, number, number];
  return { api, storefront, stripe, postgres };
}

/** `npm run dev` as a child process: its own data folder and ports, no file watching. */
export interface LauncherRun {
  child: ChildProcess;
  ports: SandboxPorts;
  dataDir: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves once the ready block is printed; rejects when it exits first or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGINT (a Ctrl-C) and the exit code. */
  interrupt(): Promise<number | null>;
}

export function makeDataDir(): string {
  // As root, PostgreSQL runs as "postgres" and must pass through this folder (mkdtemp makes it 0700).
  const dir = mkdtempSync(path.join(os.tmpdir(), "sandbox-test-"));
  chmodSync(dir, 0o755);
  return dir;
}

/** Stops a PostgreSQL a failed test left running there, then deletes the folder. */
export async function removeDataDir(dir: string): Promise<void> {
  await clearLeftoverServer(path.join(dir, "postgres"));
  rmSync(dir, { recursive: true, force: true });
}

export function startLauncher(options: { ports: SandboxPorts; dataDir: string; args?: string[]; env?: Record<string, string> }): LauncherRun {
  const { ports, dataDir } = options;
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(ports.api),
    STOREFRONT_PORT: String(ports.storefront),
    STRIPE_STAND_IN_PORT: String(ports.stripe),
    DEV_DATABASE_PORT: String(ports.postgres),
    DEV_DATA_DIR: dataDir,
    ...options.env,
  };
  // The sandbox decides these; a test runner's own values must not leak in.
  for (const name of ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_URL", "DATABASE_URL", "NODE_OPTIONS", "LOG_LEVEL"]) {
    if (!options.env?.[name]) delete env[name];
  }
  const child = spawn(process.execPath, ["--import", "tsx", "dev/sandbox/main.ts", "--no-watch", ...(options.args ?? [])], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  return {
    child,
    ports,
    dataDir,
    output: () => output,
    exited,
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes("Checkout sandbox ready")) {
        if (child.exitCode !== null) throw new Error(`the launcher exited with ${child.exitCode} before it was ready:\n${output}`);
        if (Date.now() > deadline) throw new Error(`the launcher was not ready within ${timeoutMs} ms:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async interrupt() {
      if (child.exitCode === null) child.kill("SIGINT");
      return exited;
    },
  };
}

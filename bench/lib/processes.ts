import { spawn, type ChildProcess } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LoadResult, LoadRun } from "./load-spec.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = ["--import", "tsx"];

export interface Service {
  name: string;
  url: string;
  /** Absent for servers in the runner's own process (the stand-in). */
  child?: ChildProcess;
  stop(): Promise<void>;
}

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

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
}

/**
 * The compiled API started as `node dist/main.js` with the given environment and nothing
 * else (no runtime flags), its output (pino lines) going to `logFile`. Ready once
 * `GET /health` answers 200.
 */
export async function startApp(env: Record<string, string>, logFile: string): Promise<Service> {
  const port = await freePort();
  const out = openSync(logFile, "a");
  // For profiling, e.g. BENCH_APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/results/profiles".
  const nodeArgs = (process.env.BENCH_APP_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, "dist/main.js"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      ...env,
      PORT: String(port),
    },
    stdio: ["ignore", out, out],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode} at start-up; see ${logFile}:\n${readFileSync(logFile, "utf8").slice(-2000)}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the app did not answer /health within 30 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: "app", url, child, stop: stopper(child) };
}

/** A baseline server from bench/baselines, which prints `listening <port>` when ready. */
export async function startBaseline(file: string, env: Record<string, string>): Promise<Service> {
  const nodeArgs = (process.env.BENCH_BASELINE_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...TSX, path.join(ROOT, "bench/baselines", file)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let seen = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening (\d+)/.exec(seen);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`baseline ${file} exited with ${code}`)));
  });
  return { name: file, url: `http://127.0.0.1:${port}`, child, stop: stopper(child) };
}

/** Resident set size of a process, MB (Linux /proc; `ps` elsewhere). */
export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; NaN elsewhere). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at state; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** `NODE_OPTIONS` in the process's environment, if any (Linux /proc). */
export function nodeOptions(pid: number): string | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").find((e) => e.startsWith("NODE_OPTIONS="));
    return entry?.slice("NODE_OPTIONS=".length) || undefined;
  } catch {
    return undefined;
  }
}

/** The process's command line after the executable, e.g. `["dist/main.js"]`. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).slice(1);
  } catch {
    return [];
  }
}

/**
 * Runs each load at the same time in a load generator process of its own and returns their
 * results in order: one saturated load (a closed loop on /health) must not delay the
 * sending and timing of another (webhooks at a fixed rate) inside one event loop.
 */
export async function runLoad(runs: LoadRun[]): Promise<LoadResult[]> {
  return (await Promise.all(runs.map((run) => loadGenerator([run])))).flat();
}

function loadGenerator(runs: LoadRun[]): Promise<LoadResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX, path.join(ROOT, "bench/loader.ts")], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`the load generator exited with ${code}`));
      try {
        resolve(JSON.parse(out) as LoadResult[]);
      } catch (err) {
        reject(err as Error);
      }
    });
    child.stdin.end(JSON.stringify(runs));
  });
}

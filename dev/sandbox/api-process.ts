import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { prettyLogStream } from "./log-format.js";
import { groupAlive, signal, sleep } from "./processes.js";

export interface ApiProcess {
  pid: number;
  /** Resolves with the exit code when the API process (tsx watch, or the API itself) ends. */
  exited: Promise<number | null>;
  /** SIGTERM (the API drains and exits), then waits until its whole process group is gone. */
  stop(): Promise<void>;
}

export interface ApiProcessOptions {
  rootDir: string;
  env: Record<string, string>;
  /** `tsx watch`: the API restarts on every change to a file it imports; the launcher stays. */
  watch: boolean;
}

/**
 * Starts `api/src/main.ts` as its own process group, so the terminal's Ctrl-C reaches the
 * launcher only and the launcher decides the order of shutdown. Each of its Node processes
 * loads parent-watch.mjs, which stops them when the launcher disappears without cleaning up
 * (`kill -9`): nothing is left holding the API's port.
 */
export function startApiProcess(options: ApiProcessOptions): ApiProcess {
  const require = createRequire(import.meta.url);
  const tsxCli = require.resolve("tsx/cli");
  const entry = path.join("api", "src", "main.ts");
  const args = options.watch ? [tsxCli, "watch", "--clear-screen=false", entry] : ["--import", "tsx", entry];
  const watchdog = pathToFileURL(path.join(import.meta.dirname, "parent-watch.mjs")).href;
  const nodeOptions = [options.env.NODE_OPTIONS, `--import=${watchdog}`].filter(Boolean).join(" ");
  const child = spawn(process.execPath, args, {
    cwd: options.rootDir,
    env: { ...options.env, NODE_OPTIONS: nodeOptions, SANDBOX_LAUNCHER_PID: String(process.pid) },
    // stdout carries the JSON log lines: shown one short line each. stderr (crashes) as it is.
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  child.stdout!.pipe(prettyLogStream(process.stdout));
  const pid = child.pid!;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) signal(pid, "SIGTERM");
      // tsx watch gives the API 5 s before it kills it; the group may outlive the watcher briefly.
      const deadline = Date.now() + 10_000;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
      if (groupAlive(pid)) signal(-pid, "SIGKILL");
      await exited;
    })());
  return { pid, exited, stop };
}

/** Polls `/ready` until it answers 200; throws when `exited` settles first or after `timeoutMs`. */
export async function waitUntilReady(readyUrl: string, exited: Promise<unknown>, timeoutMs: number, abort?: AbortSignal): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    abort?.throwIfAborted();
    if (gone) throw new Error("the API process exited during start-up (its output is above)");
    try {
      const res = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`the API did not answer ${readyUrl} with 200 within ${timeoutMs / 1000} s (its output is above)`);
    await sleep(150);
  }
}

import { appendFileSync } from "node:fs";
import path from "node:path";
import { inject } from "vitest";
import { testEnv } from "../../helpers/app.js";
import { spawnTs } from "../../helpers/run-script.js";

export interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface AppProcess {
  name: string;
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every JSON log line written so far (pino writes NDJSON to stdout). */
  lines(): LogLine[];
  /** Resolves with the first log line with this message, waiting up to `timeoutMs`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<LogLine>;
  kill(signal: NodeJS.Signals): void;
  readonly exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. Safe to call twice. */
  stop(): Promise<Exit>;
}

/**
 * The real service in a process of its own: `node --import tsx api/src/main.ts`, started with
 * the suite's literal test environment plus `env`, listening on a free port. Its stdout and
 * stderr are appended to the suite's log folder, so the secrets scan at the end of the run
 * reads every line it wrote.
 */
export async function startAppProcess(name: string, env: Record<string, string | undefined>, entry = "api/src/main.ts"): Promise<AppProcess> {
  const child = spawnTs(entry, testEnv({ PORT: "0", LOG_LEVEL: "debug", ...env }));
  const logFile = path.join(inject("logDir"), `reliability-${name}-${child.pid}-${Date.now()}.ndjson`);
  const parsed: LogLine[] = [];
  let pending = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    appendFileSync(logFile, text);
    pending += text;
    const complete = pending.split("\n");
    pending = complete.pop() ?? "";
    for (const line of complete) {
      if (!line.startsWith("{")) continue;
      try {
        parsed.push(JSON.parse(line) as LogLine);
      } catch {
        // a partial or foreign line; the scan still reads it from the file
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    stderr += text;
    appendFileSync(logFile, text);
  });
  const exited = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const wake of waiters) wake();
  });

  const waitForLog = (msg: string, timeoutMs = 30_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = parsed.find((line) => line.msg === msg);
        if (found) return finish(() => resolve(found));
        if (hasExited) return finish(() => reject(new Error(`${name} exited before logging "${msg}": ${stderr.slice(-2000)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${name} did not log "${msg}" within ${timeoutMs} ms`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  const listening = await waitForLog("listening");
  const port = listening.port as number;
  const stop = async () => {
    if (!hasExited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  return {
    name,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    lines: () => parsed,
    waitForLog,
    kill: (signal) => void child.kill(signal),
    exited,
    stop,
  };
}

import { spawn, type ChildProcess } from "node:child_process";

export interface AppProcess {
  baseUrl: string;
  /** Everything the process wrote so far, stdout and stderr. */
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL and a failure after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
  child: ChildProcess;
}

/**
 * Starts the production copy as `npm start` does, with exactly `env` (plus PATH/HOME)
 * and waits for its "listening" log line, which carries the port it bound (PORT=0).
 */
export async function startApp(dir: string, env: Record<string, string>, timeoutMs = 20_000): Promise<AppProcess> {
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /"port":(\d+)[^\n]*"msg":"listening"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with ${code} during start-up:\n${output}`));
    });
  });
  let exited: Promise<number | null> = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  if (child.exitCode !== null) exited = Promise.resolve(child.exitCode);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    child,
    async stop(stopTimeoutMs = 15_000) {
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), stopTimeoutMs)));
      const result = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (result === "timeout") {
        child.kill("SIGKILL");
        throw new Error(`the app did not exit within ${stopTimeoutMs} ms of SIGTERM`);
      }
      return result;
    },
  };
}

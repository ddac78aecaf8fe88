import { Writable } from "node:stream";

/**
 * The API logs JSON lines (pino), made for machines. In the sandbox's terminal a person reads
 * them, so each becomes one short line: `12:20:57 POST /orders → 200 12 ms`, or
 * `12:20:58 WARN refresh token reuse detected  outcome=reuse_detected …`. Anything that is not
 * a log line (tsx watch's "Restarting…") passes through unchanged.
 */

/** Our logger writes level labels; pino's default is numbers. Info is the quiet default: no tag. */
const LEVELS: Record<string, string> = { trace: "TRACE", debug: "DEBUG", info: "", warn: "WARN", error: "ERROR", fatal: "FATAL" };
const NUMBERED: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
const HIDDEN = new Set(["level", "time", "pid", "hostname", "name", "msg", "req", "res", "responseTime", "requestId", "v"]);

function value(v: unknown): string {
  if (v && typeof v === "object") {
    const message = (v as { message?: unknown }).message;
    return typeof message === "string" ? JSON.stringify(message) : JSON.stringify(v);
  }
  return String(v);
}

export function formatLogLine(line: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== "object" || entry === null || typeof entry.msg !== "string") return line;
  const label = typeof entry.level === "number" ? NUMBERED[entry.level] : entry.level;
  if (typeof label !== "string" || !(label in LEVELS)) return line;
  const time = new Date(typeof entry.time === "string" || typeof entry.time === "number" ? entry.time : Date.now()).toTimeString().slice(0, 8);
  const level = LEVELS[label]!;
  const paint = (text: string) => (!color || !level ? text : `\x1b[${["error", "fatal"].includes(label) ? 31 : 33}m${text}\x1b[0m`);
  const req = entry.req as { method?: string; url?: string } | undefined;
  const res = entry.res as { statusCode?: number } | undefined;
  const extras = Object.entries(entry)
    .filter(([key, v]) => !HIDDEN.has(key) && v !== null && v !== undefined)
    .map(([key, v]) => `${key}=${value(v)}`)
    .join(" ");
  const head = req?.method && res?.statusCode ? `${req.method} ${req.url} → ${res.statusCode} ${Math.round(Number(entry.responseTime ?? 0))} ms` : entry.msg;
  return `${time} ${paint([level, head].filter(Boolean).join(" "))}${extras ? `  ${extras}` : ""}`;
}

/** A stream that writes each complete line of its input, formatted, to `target`. */
export function prettyLogStream(target: NodeJS.WriteStream): Writable {
  let pending = "";
  const color = Boolean(target.isTTY);
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (pending + chunk.toString()).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) target.write(`${formatLogLine(line, color)}\n`);
      done();
    },
    final(done) {
      if (pending) target.write(`${formatLogLine(pending, color)}\n`);
      done();
    },
  });
}

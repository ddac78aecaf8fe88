import { appendFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";

export interface LogLine {
  level: string;
  msg?: string;
  requestId?: string;
  [key: string]: unknown;
}

/**
 * A pino destination that keeps every line in memory (for assertions) and appends it to
 * the suite's log folder (scanned for secrets when the suite ends).
 */
export class LogCapture extends Writable {
  readonly lines: LogLine[] = [];
  private readonly file?: string;

  constructor(logDir?: string, name = "test") {
    super();
    if (logDir) this.file = path.join(logDir, `${name}-${process.pid}-${Date.now()}.ndjson`);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = chunk.toString("utf8");
    for (const line of text.split("\n").filter(Boolean)) this.lines.push(JSON.parse(line) as LogLine);
    if (this.file) appendFileSync(this.file, text);
    callback();
  }

  find(predicate: (line: LogLine) => boolean): LogLine[] {
    return this.lines.filter(predicate);
  }

  withMessage(msg: string): LogLine[] {
    return this.lines.filter((l) => l.msg === msg);
  }

  clear(): void {
    this.lines.length = 0;
  }
}

import { describe, expect, it } from "vitest";
import { formatLogLine } from "../../../../dev/sandbox/log-format.js";

const at = "2026-11-23T10:00:00.000Z";
const local = new Date(at).toTimeString().slice(0, 8);

describe("the sandbox's log lines", () => {
  it("when the API logs a request, then the terminal shows method, path, status and duration", () => {
    const line = JSON.stringify({ level: "info", time: at, pid: 1, hostname: "h", name: "checkout-api", requestId: "r1", req: { method: "POST", url: "/orders" }, res: { statusCode: 201 }, responseTime: 12.4, msg: "request completed" });

    expect(formatLogLine(line)).toBe(`${local} POST /orders → 201 12 ms`);
  });

  it("when it logs a warning with fields, then the level, message and non-empty fields are shown", () => {
    const line = JSON.stringify({ level: "warn", time: at, msg: "refresh token reuse detected", outcome: "reuse_detected", orderId: null, err: { message: "boom", stack: "…" } });

    expect(formatLogLine(line)).toBe(`${local} WARN refresh token reuse detected  outcome=reuse_detected err="boom"`);
  });

  it("when pino writes numeric levels, then they are named too", () => {
    expect(formatLogLine(JSON.stringify({ level: 50, time: at, msg: "failed" }))).toBe(`${local} ERROR failed`);
  });

  it("when a line is not a log line, then it passes through unchanged", () => {
    expect(formatLogLine("[tsx] change in ./api/src/app.ts Restarting...")).toBe("[tsx] change in ./api/src/app.ts Restarting...");
    expect(formatLogLine('{"not":"a log line"}')).toBe('{"not":"a log line"}');
  });
});

import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { call } from "./support/http.js";

/**
 * What this suite promises: a client that trickles its headers is cut within 15 s, one that
 * trickles its body within 35 s (the server's headersTimeout and requestTimeout, checked
 * every second, plus slack for a loaded machine).
 */
const HEADERS_BOUND_MS = 15_000;
const BODY_BOUND_MS = 35_000;
let headersTimeoutMs: number;

let t: TestApp;
let running: RunningServer;

beforeAll(async () => {
  t = await setupTestApp({ name: "reliability-slow-clients", env: { AUTH_RATE_LIMIT: "100000" } });
  running = await startServer(t.ctx, t.app, 0, "127.0.0.1");
  headersTimeoutMs = running.server.headersTimeout;
});
afterAll(async () => {
  running?.server.closeAllConnections();
  await new Promise((resolve) => running?.server.close(resolve));
  await t?.close();
});

interface Outcome {
  /** Everything the server sent before it closed the connection. */
  received: string;
  /** Milliseconds from connecting until the server closed the connection. */
  closedAfterMs: number;
}

/**
 * Opens a raw connection, writes `head` at once, then one byte of `drip` every `everyMs`,
 * and reports when the server closed the connection (gives up after `giveUpMs`).
 */
function slowClient(head: string, drip: string, everyMs: number, giveUpMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(running.port, "127.0.0.1");
    let received = "";
    let sent = 0;
    const timer = setInterval(() => {
      if (socket.writable) socket.write(drip[sent++ % drip.length]!);
    }, everyMs);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept a slow client for ${giveUpMs} ms: ${received.slice(0, 200)}`));
    }, giveUpMs);
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ received, closedAfterMs: Date.now() - started });
    });
  });
}

const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as Record<string, unknown>;

// Concurrent: each waits on a server deadline, and none writes anything.
describe.concurrent("slow-loris and header floods", () => {
  it("when 20 clients send their headers one byte at a time, then each is cut with a 408 problem+json within 15 s, while others are served", async () => {
    const usersBefore = await t.ctx.prisma.user.count();
    const head = "POST /auth/register HTTP/1.1\r\nHost: api.test\r\nContent-Type: application/json\r\n";
    const loris = Array.from({ length: 20 }, () => slowClient(head, "X-Slow-Loris: keep-waiting\r\n", 250, HEADERS_BOUND_MS + 5000));

    // Meanwhile the server still answers everyone else at once.
    const healthy = await call(`http://127.0.0.1:${running.port}`, { path: "/health", timeoutMs: 2000 });
    expect(healthy.status).toBe(200);

    for (const outcome of await Promise.all(loris)) {
      expect(statusOf(outcome.received)).toBe(408);
      expect(outcome.received).toMatch(/content-type: application\/problem\+json/i);
      expect(bodyOf(outcome.received)).toMatchObject({ status: 408, code: "VALIDATION_FAILED" });
      expect(outcome.closedAfterMs).toBeLessThan(HEADERS_BOUND_MS);
    }
    expect(await t.ctx.prisma.user.count()).toBe(usersBefore);
  });

  it("when a client sends its body one byte at a time, then the connection is cut within 35 s and nothing is written", async () => {
    const usersBefore = await t.ctx.prisma.user.count();
    const body = JSON.stringify({ email: "slow-body@example.test", password: "Pw-SuiteMarker-slow-0123" });
    const head = `POST /auth/register HTTP/1.1\r\nHost: api.test\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100_000}\r\n\r\n`;

    const outcome = await slowClient(head, body, 500, BODY_BOUND_MS + 5000);

    expect(outcome.closedAfterMs).toBeLessThan(BODY_BOUND_MS);
    expect(outcome.closedAfterMs).toBeGreaterThan(headersTimeoutMs);
    expect([0, 408]).toContain(statusOf(outcome.received));
    expect(await t.ctx.prisma.user.count()).toBe(usersBefore);
    expect(await t.ctx.prisma.user.findUnique({ where: { email: "slow-body@example.test" } })).toBeNull();
  }, 60_000);

  it("when 50 clients flood the server with 64 KB of headers each, then each gets a 431 problem+json, the server stays up and nothing is written", async () => {
    const usersBefore = await t.ctx.prisma.user.count();
    const flood = Array.from({ length: 1000 }, (_, i) => `X-Flood-${i}: ${"a".repeat(56)}\r\n`).join("");
    const request = `POST /auth/register HTTP/1.1\r\nHost: api.test\r\nContent-Type: application/json\r\n${flood}Content-Length: 2\r\n\r\n{}`;

    const outcomes = await Promise.all(Array.from({ length: 50 }, () => slowClient(request, " ", 60_000, 10_000)));

    for (const outcome of outcomes) {
      expect(statusOf(outcome.received)).toBe(431);
      expect(bodyOf(outcome.received)).toMatchObject({ status: 431, code: "VALIDATION_FAILED", requestId: expect.any(String) });
    }
    expect((await call(`http://127.0.0.1:${running.port}`, { path: "/health", timeoutMs: 2000 })).status).toBe(200);
    expect(await t.ctx.prisma.user.count()).toBe(usersBefore);
  });
});

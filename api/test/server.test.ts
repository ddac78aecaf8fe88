import net from "node:net";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server.js";
import { setupTestApp, type TestApp } from "./helpers/app.js";

let t: TestApp;
let running: RunningServer;
beforeAll(async () => {
  t = await setupTestApp({ name: "server" });
  running = await startServer(t.ctx, t.app, 0, "127.0.0.1");
});
afterAll(async () => {
  running.server.closeAllConnections();
  await new Promise((resolve) => running.server.close(resolve));
  await t.close();
});

interface RawReply {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** Writes raw bytes to the server and reads until it closes the connection. */
function raw(bytes: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(running.port, "127.0.0.1", () => socket.write(bytes));
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = text.split("\r\n\r\n");
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      resolve({ statusLine, headers, body });
    });
  });
}

describe("clientError handler", () => {
  it("when the request line is not HTTP, then a problem+json 400 with a request id closes the connection", async () => {
    const reply = await raw("HELLO THERE\r\n\r\n");

    expect(reply.statusLine).toBe("HTTP/1.1 400 Bad Request");
    expect(reply.headers["content-type"]).toBe("application/problem+json");
    expect(reply.headers.connection).toBe("close");
    const body = JSON.parse(reply.body) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 400, code: "VALIDATION_FAILED", requestId: reply.headers["x-request-id"] });
    expect(reply.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(body).sort()).toEqual(["code", "detail", "requestId", "status", "title", "type"]);
  });

  it("when the headers are larger than Node accepts, then a problem+json 431", async () => {
    const reply = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);

    expect(reply.statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(reply.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(reply.body)).toMatchObject({ status: 431, title: "Request header fields too large" });
  });

  it("when a well-formed request follows on another connection, then it is served normally", async () => {
    const reply = await raw("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(reply.statusLine).toBe("HTTP/1.1 200 OK");
  });
});

describe("server limits", () => {
  it("when started, then keep-alive outlives a load balancer's 60 s and headersTimeout ≤ requestTimeout", () => {
    const { server } = running;
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBeGreaterThan(0);
    expect(server.requestTimeout).toBeGreaterThan(0);
    expect(server.headersTimeout).toBeLessThanOrEqual(server.requestTimeout);
  });
});

describe("draining", () => {
  it("when the server drains, then responses ask keep-alive clients to close the connection", async () => {
    t.ctx.lifecycle.draining = true;
    try {
      const res = await request(t.app).get("/health").set("Connection", "keep-alive");
      expect(res.status).toBe(200);
      expect(res.headers.connection).toBe("close");
    } finally {
      t.ctx.lifecycle.draining = false;
    }
  });

  it("when the server is not draining, then keep-alive is kept", async () => {
    const res = await request(`http://127.0.0.1:${running.port}`).get("/health").set("Connection", "keep-alive");
    expect(res.headers.connection).toBe("keep-alive");
  });
});

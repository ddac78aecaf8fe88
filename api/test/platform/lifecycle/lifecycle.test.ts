import http from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createTestDatabase } from "../../helpers/database.js";
import { jsonLines, spawnTs } from "../../helpers/run-script.js";
import { testEnv } from "../../helpers/app.js";

let database: { url: string; drop(): Promise<void> };
beforeAll(async () => {
  database = await createTestDatabase(inject("adminDatabaseUrl"), inject("templateDatabase"));
});
afterAll(() => database?.drop());

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A GET on a connection of its own (no agent), so a refused connection shows as an error. */
function get(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on("error", reject);
  });
}

describe("SIGTERM during a slow request", () => {
  it("when SIGTERM arrives, then /ready turns 503 while serving continues, the request finishes, new connections are refused and the exit code is 0", async () => {
    const child = spawnTs("api/test/platform/lifecycle/fixtures/slow-server.ts", {
      ...testEnv({ DATABASE_URL: database.url, SHUTDOWN_DELAY_MS: "5000", SHUTDOWN_TIMEOUT_MS: "20000", LOG_LEVEL: "info" }),
    });
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const logged = (msg: string) => jsonLines(stdout).find((line) => line.msg === msg);
    const waitForLog = (msg: string) => vi.waitFor(() => expect(logged(msg)).toBeDefined(), { timeout: 15_000, interval: 20 });

    try {
      await waitForLog("listening");
      const port = logged("listening")!.port as number;
      // A precondition, not the subject: on a loaded machine the first probe may miss its 500 ms.
      await vi.waitFor(async () => expect((await get(port, "/ready")).status).toBe(200), { timeout: 15_000, interval: 200 });

      const slow = get(port, "/test/slow");
      await waitForLog("slow request started");
      child.kill("SIGTERM");
      await waitForLog("shutdown started: /ready now answers 503");

      // During SHUTDOWN_DELAY_MS: the load balancer sees 503, traffic is still served.
      const ready = await get(port, "/ready");
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe("shutting_down");
      expect((await get(port, "/health")).status).toBe(200);

      // Then the listener closes while the slow request is still in flight.
      await waitForLog("stopped accepting connections; draining in-flight requests");
      await expect(get(port, "/health")).rejects.toMatchObject({ code: "ECONNREFUSED" });
      expect(logged("shutdown complete")).toBeUndefined();

      child.kill("SIGUSR2"); // lets the slow request finish
      const finished = await slow;
      expect(finished.status).toBe(200);
      expect(finished.body).toEqual({ finished: true });

      expect(await exited).toBe(0);
      expect(logged("shutdown complete")).toBeDefined();
    } finally {
      child.kill("SIGKILL");
    }
  });
});

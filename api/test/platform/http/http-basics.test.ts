import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { setupTestApp, type TestApp } from "../../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "http-basics" });
});
afterAll(() => t.close());

const expectProblem = (res: request.Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, requestId: res.headers["x-request-id"] });
  expect(typeof res.body.type).toBe("string");
  expect(typeof res.body.title).toBe("string");
  expect(typeof res.body.detail).toBe("string");
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+|SELECT|INSERT/);
};

describe("GET /health", () => {
  it("when called, then answers ok without touching the database", async () => {
    const res = await request(t.app).get("/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });
});

describe("GET /ready", () => {
  it("when the database is migrated, then answers ready", async () => {
    // The probe's own 500 ms deadline can lapse on a saturated CI machine; readiness is
    // what is asserted here, the deadline has its own outage tests.
    await vi.waitFor(
      async () => {
        const res = await request(t.app).get("/ready");
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok" } });
      },
      { timeout: 5000, interval: 200 },
    );
  });

  it("when a migration file is not applied, then answers 503 with migrations fail", async () => {
    const saved = t.ctx.migrationFiles;
    t.ctx.migrationFiles = [...saved, { name: "29991231000000_not_applied" }];
    try {
      const res = await request(t.app).get("/ready");
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: "unavailable", checks: { database: "ok", migrations: "fail" } });
    } finally {
      t.ctx.migrationFiles = saved;
    }
  });

  it("when shutdown has begun, then answers 503 shutting_down", async () => {
    t.ctx.lifecycle.shuttingDown = true;
    try {
      const res = await request(t.app).get("/ready");
      expect(res.status).toBe(503);
      expect(res.body.status).toBe("shutting_down");
    } finally {
      t.ctx.lifecycle.shuttingDown = false;
    }
  });
});

describe("request ids", () => {
  it("when a sane X-Request-Id comes in, then it is echoed and logged", async () => {
    const res = await request(t.app).get("/products").set("X-Request-Id", "abc-123_test.id");
    expect(res.headers["x-request-id"]).toBe("abc-123_test.id");
    // The request line is written when the response finishes, just after the client has it.
    await vi.waitFor(() => expect(t.logs.find((l) => l.requestId === "abc-123_test.id" && l.msg === "request completed")).toHaveLength(1));
    const [line] = t.logs.find((l) => l.requestId === "abc-123_test.id");
    expect(line).toMatchObject({ level: "info", req: { method: "GET", url: "/products" }, res: { statusCode: 200 }, responseTime: expect.any(Number) });
  });

  it("when the liveness probe is polled, then it carries an id and every header, and its line is debug only", async () => {
    const res = await request(t.app).get("/health").set("X-Request-Id", "probe-1").set("Origin", "http://shop.test");
    expect(res.status).toBe(200);
    expect(res.headers["x-request-id"]).toBe("probe-1");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["access-control-allow-origin"]).toBe("http://shop.test");
    // A later request's line is the proof that the probe's would have been written by now.
    await request(t.app).get("/nope").set("X-Request-Id", "after-probe-1");
    await vi.waitFor(() => expect(t.logs.find((l) => l.requestId === "after-probe-1")).toHaveLength(1));
    expect(t.logs.find((l) => l.requestId === "probe-1").map((l) => l.level)).toEqual(["debug"]);
  });

  it("when the inbound id is not sane, then a new UUID replaces it", async () => {
    const res = await request(t.app).get("/health").set("X-Request-Id", "bad id with spaces <script>");
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("errors as problem+json", () => {
  it("when the route is unknown, then 404 NOT_FOUND", async () => {
    expectProblem(await request(t.app).get("/nope"), 404, "NOT_FOUND");
  });

  it("when the JSON is malformed, then 400 MALFORMED_JSON", async () => {
    const res = await request(t.app).post("/nope").set("Content-Type", "application/json").send('{"a":');
    expectProblem(res, 400, "MALFORMED_JSON");
  });

  it("when the body is over 100 kB, then 413 PAYLOAD_TOO_LARGE", async () => {
    const res = await request(t.app)
      .post("/nope")
      .set("Content-Type", "application/json")
      .send(JSON.stringify({ a: "x".repeat(101 * 1024) }));
    expectProblem(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it("when the body is not JSON, then 415 UNSUPPORTED_MEDIA_TYPE", async () => {
    const res = await request(t.app).post("/nope").set("Content-Type", "text/plain").send("hello");
    expectProblem(res, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("when a JSON body declares a charset other than UTF-8, then 415 and the route never runs", async () => {
    // One byte decoded as UTF-16 is an empty string, which the parser would read as {}.
    const res = await request(t.app).post("/auth/logout").set("Content-Type", "application/json; charset=utf-16").send(Buffer.from("0"));
    expectProblem(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    const utf8 = await request(t.app).post("/nope").set("Content-Type", "application/json; charset=UTF-8").send("{}");
    expectProblem(utf8, 404, "NOT_FOUND");
  });

  it("when a POST has no body, then it is not a 415", async () => {
    const res = await request(t.app).post("/nope");
    expectProblem(res, 404, "NOT_FOUND");
  });
});

describe("security headers and CORS", () => {
  it("when any response is sent, then helmet's headers are present and X-Powered-By is not", async () => {
    const res = await request(t.app).get("/health");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["strict-transport-security"]).toBeDefined();
    expect(res.headers["x-powered-by"]).toBeUndefined();
  });

  it("when the origin is allowed, then CORS allows it with credentials", async () => {
    const res = await request(t.app).options("/health").set("Origin", "http://shop.test").set("Access-Control-Request-Method", "POST");
    expect(res.headers["access-control-allow-origin"]).toBe("http://shop.test");
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers["access-control-allow-headers"]).toContain("Idempotency-Key");
  });

  it("when the origin is foreign, then no CORS header is granted", async () => {
    const res = await request(t.app).get("/health").set("Origin", "http://evil.test");
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

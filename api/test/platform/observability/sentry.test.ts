import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AppError } from "../../../src/platform/errors.js";
import { createLogger } from "../../../src/platform/logger.js";
import { createErrorReporter, isReportable } from "../../../src/platform/observability/sentry.js";
import { scrubText } from "../../../src/platform/observability/scrub.js";
import { setupTestApp, type TestApp } from "../../helpers/app.js";

interface SentryEvent {
  event_id: string;
  tags?: Record<string, string>;
  request?: unknown;
  exception?: { values: { type: string; value: string }[] };
}

/** A stand-in for Sentry's ingestion endpoint: keeps every event envelope it receives. */
async function startIngest() {
  const events: SentryEvent[] = [];
  const raw: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const text = body.toString("utf8");
      raw.push(text);
      const lines = text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      lines.forEach((line, i) => {
        if (line.type === "event") events.push(lines[i + 1] as unknown as SentryEvent);
      });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { events, raw, dsn: `http://publickey0123456789@127.0.0.1:${port}/42`, close: () => new Promise((r) => server.close(r)) };
}

let ingest: Awaited<ReturnType<typeof startIngest>>;
let t: TestApp;
beforeAll(async () => {
  ingest = await startIngest();
  t = await setupTestApp({ name: "ops-sentry", env: { SENTRY_DSN: ingest.dsn } });
});
afterAll(async () => {
  await t?.close();
  await ingest?.close();
});

describe("error reporting with SENTRY_DSN set", () => {
  it("when a 400 and then a 500 happen, then exactly one event arrives: the 500's, with its request id and nothing secret", async () => {
    const clientError = await request(t.app).post("/auth/register").set("X-Request-Id", "req-client-error").send({ email: "nope" });
    expect(clientError.status).toBe(400);

    const render = vi
      .spyOn(t.ctx.metrics, "render")
      .mockRejectedValueOnce(new Error("forced failure near Bearer eyJhbGciOi.eyJzdWIiOiJ4In0.c2lnbmF0dXJl and sk_test_leakyKey123"));
    const failed = await request(t.app)
      .get("/metrics?token=query-secret-value")
      .set("X-Request-Id", "req-forced-500")
      .set("Cookie", "refresh_token=cookie-secret-value")
      .set("Authorization", "Bearer header-secret-value");
    render.mockRestore();
    expect(failed.status).toBe(500);

    await t.ctx.errorReporter.close(); // flushes what is queued
    expect(ingest.events).toHaveLength(1);
    const [event] = ingest.events;
    expect(event!.tags?.requestId).toBe("req-forced-500");
    expect(event!.exception?.values.at(-1)?.value).toContain("forced failure");
    expect(event!.request).toBeUndefined();
    const everything = ingest.raw.join("\n");
    for (const secret of ["cookie-secret-value", "header-secret-value", "query-secret-value", "eyJzdWIiOiJ4In0", "sk_test_leakyKey123"]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe("what is reported", () => {
  it("when the error is a bug or a Stripe refusal, then it is reported; outages and client errors are not", () => {
    expect(isReportable(new TypeError("x is undefined"))).toBe(true);
    expect(isReportable(new AppError("INTERNAL", "x"))).toBe(true);
    expect(isReportable(new AppError("PAYMENT_PROVIDER_ERROR", "x"))).toBe(true);
    expect(isReportable(new AppError("PAYMENT_PROVIDER_UNAVAILABLE", "x"))).toBe(false);
    expect(isReportable(new AppError("SERVICE_UNAVAILABLE", "x"))).toBe(false);
    expect(isReportable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(false);
  });

  it("when text carries tokens, keys or URL passwords, then scrubbing removes them and keeps the rest", () => {
    const text = scrubText("at postgresql://app:hunter2@db:5432/x with whsec_abc123 and rk_live_XYZ and password=p4ss; ok");
    expect(text).toBe("at postgresql://app:[Filtered]db:5432/x with [Filtered] and [Filtered] and [Filtered]; ok");
  });

  it("when SENTRY_DSN is unset, then the reporter is disabled and captures nothing", async () => {
    const reporter = createErrorReporter({ dsn: undefined, environment: "test", release: "x", logger: createLogger({ level: "silent" }) });
    expect(reporter.enabled).toBe(false);
    expect(t.ctx.errorReporter.enabled).toBe(true);
    reporter.captureUnexpected(new Error("nowhere"), "r");
    await reporter.close();
  });
});

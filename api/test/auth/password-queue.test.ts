import type { AddressInfo } from "node:net";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";

// A real cost (12: a few hundred ms per hash here) and a queue of 4 waiting jobs, so a wave
// of logins must be shed rather than queued for seconds.
const QUEUE_LIMIT = 4;
let t: TestApp;
let server: http.Server;
let base: string;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-password-queue", env: { BCRYPT_COST: "12", BCRYPT_QUEUE_LIMIT: String(QUEUE_LIMIT), AUTH_RATE_LIMIT: "1000" } });
  server = http.createServer(t.app).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

const loginAs = (i: number) => loginWith(`wave-${i}-${Math.random()}@example.test`, testPassword("wave"));
const loginWith = (email: string, password: string) =>
  fetch(`${base}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  }).then(async (res) => ({ status: res.status, at: performance.now(), retryAfter: res.headers.get("retry-after"), body: (await res.json()) as { code: string } }));

describe("password hashing queue under a login wave", () => {
  it("when 40 logins arrive at once, then the excess gets 503 SERVICE_UNAVAILABLE with Retry-After without waiting in line, and /health stays fast", async () => {
    const concurrency = t.ctx.config.auth.bcryptConcurrency;
    expect((await loginAs(-1)).status).toBe(401); // warm: pool connections, the dummy hash
    const started = performance.now();
    const wave = Array.from({ length: 40 }, (_, i) => loginAs(i));
    const health = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = performance.now();
      const res = await fetch(`${base}/health`);
      return { status: res.status, ms: performance.now() - before };
    })();
    const answers = await Promise.all(wave);

    const shed = answers.filter((a) => a.status === 503);
    // Unbounded, the 40 hashes would run one after another for 40 x a few hundred ms and none
    // would be refused. Arrivals spread a little on a busy machine, freeing a few places.
    expect(shed.length).toBeGreaterThanOrEqual(40 - concurrency - QUEUE_LIMIT - 5);
    for (const answer of shed) {
      expect(answer.body.code).toBe("SERVICE_UNAVAILABLE");
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
      expect(answer.at - started).toBeLessThan(5000);
    }
    expect(answers.filter((a) => a.status === 401).length).toBe(40 - shed.length);
    const probe = await health;
    expect(probe.status).toBe(200);
    expect(probe.ms).toBeLessThan(1000);
  });

  it("when a wave of wrong passwords for one account is shed, then only the checked ones count against its login limits", async () => {
    // The pair limit is 10 failures: 40 guesses at once, of which the queue admits about 5.
    const { user, password } = await createUser(t.ctx);
    const answers = await Promise.all(Array.from({ length: 40 }, () => loginWith(user.email, testPassword("wrong"))));

    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(20);
    // A refused login checked no password, so it is neither a failure nor a reason for 429.
    expect(statuses.filter((s) => s !== 401 && s !== 503)).toEqual([]);
    expect((await loginWith(user.email, password)).status).toBe(200);
  });

  it("when the waiting clients hang up, then their hashes are dropped and a later login is not kept waiting behind them", async () => {
    const concurrency = t.ctx.config.auth.bcryptConcurrency;
    const gone = new AbortController();
    const abandoned = Array.from({ length: concurrency + QUEUE_LIMIT }, (_, i) =>
      fetch(`${base}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: `gone-${i}@example.test`, password: testPassword("gone") }),
        signal: gone.signal,
      }).catch(() => undefined),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    gone.abort();
    await Promise.all(abandoned);
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Only the jobs already running finish; the queue has room again at once.
    const next = await loginAs(999);
    expect(next.status).toBe(401);
    const dropped = t.logs.lines.filter((l) => l.msg === "password check dropped: the client has gone");
    expect(dropped.length).toBeGreaterThanOrEqual(QUEUE_LIMIT - 1);
  });
});

describe("a login shed by the full queue", () => {
  let limited: TestApp;
  let limitedServer: http.Server;
  beforeAll(async () => {
    limited = await setupTestApp({ name: "auth-password-queue-ip-budget", env: { BCRYPT_COST: "12", BCRYPT_QUEUE_LIMIT: String(QUEUE_LIMIT), AUTH_RATE_LIMIT: "20" } });
    limitedServer = http.createServer(limited.app).listen(0, "127.0.0.1");
    await new Promise((resolve) => limitedServer.once("listening", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => limitedServer.close(resolve));
    await limited.close();
  });

  it("when 40 logins from one address arrive at once, then the shed ones spend none of its per-minute budget", async () => {
    const url = `http://127.0.0.1:${(limitedServer.address() as AddressInfo).port}/auth/login`;
    const { user, password } = await createUser(limited.ctx);
    const send = (body: object) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(async (res) => ({ status: res.status, body: (await res.json()) as { code: string } }));

    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => send({ email: `budget-${i}@example.test`, password: testPassword("wave") })));

    const statuses = answers.map((a) => a.status);
    // The budget is 20 a minute: counted before shedding, half the wave would get 429.
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 401 && s !== 503)).toEqual([]);
    // Only the checked logins were counted, so the owner still gets in within the minute.
    expect((await send({ email: user.email, password })).status).toBe(200);
  });
});


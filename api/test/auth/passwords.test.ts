import bcrypt from "bcrypt";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dummyHash, hashQueue, QUEUE_FULL_RETRY_AFTER_SECONDS, hashPassword, needsRehash, verifyPassword } from "../../src/auth/passwords.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { testPassword } from "../helpers/constants.js";

let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-passwords", env: { AUTH_RATE_LIMIT: "1000" } });
});
afterAll(() => t.close());

// Two 100-character passwords that differ only in their last character.
const first = testPassword("a".repeat(80));
const second = `${first.slice(0, -1)}4`;

describe("passwords longer than bcrypt's 72 bytes", () => {
  it("when bcrypt alone hashed them, then both would match: the test case is real", async () => {
    expect(first).toHaveLength(100);
    expect(second).toHaveLength(100);
    expect(first).not.toBe(second);
    expect(await bcrypt.compare(second, await bcrypt.hash(first, 4))).toBe(true);
  });

  it("when one is registered, then the other does not log in and the registered one does", async () => {
    const email = `long-${Date.now()}@example.test`;
    expect((await request(t.app).post("/auth/register").send({ email, password: first })).status).toBe(201);
    const wrong = await request(t.app).post("/auth/login").send({ email, password: second });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe("INVALID_CREDENTIALS");
    expect((await request(t.app).post("/auth/login").send({ email, password: first })).status).toBe(200);
  });
});

describe("hashing", () => {
  it("when a password is hashed, then bcrypt runs at the given cost and verifies only that password", async () => {
    const hash = await hashPassword(testPassword(), 5);
    expect(bcrypt.getRounds(hash)).toBe(5);
    expect(await verifyPassword(testPassword(), hash)).toBe(true);
    expect(await verifyPassword(testPassword("b"), hash)).toBe(false);
  });

  it("when the same text arrives in two Unicode forms, then it is the same password", async () => {
    const composed = testPassword("caf\u00e9");
    const decomposed = testPassword("cafe\u0301");
    expect(composed).not.toBe(decomposed);
    expect(await verifyPassword(decomposed, await hashPassword(composed, 4))).toBe(true);
  });

  it("when unknown emails are checked, then they are compared against a dummy hash of the configured cost", async () => {
    const hash = await dummyHash(6);
    expect(bcrypt.getRounds(hash)).toBe(6);
    expect(await dummyHash(6)).toBe(hash);
    expect(await verifyPassword(testPassword(), hash)).toBe(false);
  });

  it("when a hash was made with a lower cost than configured, then it needs a rehash", async () => {
    const hash = await hashPassword(testPassword(), 4);
    expect(needsRehash(hash, 4)).toBe(false);
    expect(needsRehash(hash, 5)).toBe(true);
  });
});

describe("bcrypt concurrency", () => {
  it("when more jobs come than the limit, then at most the limit run at once and every job finishes, in order", async () => {
    const limit = hashQueue({ concurrency: 2, queueLimit: Infinity });
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const jobs = Array.from({ length: 7 }, (_, i) =>
      limit(async () => {
        started.push(i);
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        return i;
      }),
    );
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    expect(started).toEqual([0, 1]);
    // Finish the running jobs one by one, as bcrypt would: each hands its slot on.
    for (let finished = 1; finished <= 7; finished += 1) {
      releases.shift()!();
      await settle();
      expect(started).toHaveLength(Math.min(7, finished + 2));
    }
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("when a job fails, then its slot is handed on and the next job still runs", async () => {
    const limit = hashQueue({ concurrency: 1, queueLimit: Infinity });
    const failing = limit(() => Promise.reject(new Error("bcrypt failed")));
    const next = limit(() => Promise.resolve("ran"));
    await expect(failing).rejects.toThrow("bcrypt failed");
    await expect(next).resolves.toBe("ran");
  });

  it("when passwords are verified in parallel beyond the limit, then each answer is still right", async () => {
    const hash = await hashPassword("correct horse battery staple", 4);
    const answers = await Promise.all(
      Array.from({ length: 9 }, (_, i) => verifyPassword(i % 2 ? "correct horse battery staple" : "wrong horse battery staple", hash)),
    );
    expect(answers).toEqual(answers.map((_, i) => i % 2 === 1));
  });

  it("when the queue holds its limit of waiting jobs, then the next job is refused at once with 503 and Retry-After, and never runs", async () => {
    const queue = hashQueue({ concurrency: 1, queueLimit: 2 });
    const releases: (() => void)[] = [];
    let ran = 0;
    const job = () => queue(() => new Promise<void>((resolve) => (ran += 1, releases.push(resolve))));
    const admitted = [job(), job(), job()];
    await expect(job()).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE", status: 503, extra: { retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_SECONDS } });
    while (releases.length) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(admitted);
    expect(ran).toBe(3);
  });

  it("when places are taken with admit before their jobs exist, then they count as taken, are never refused later, and a cancelled one is given back", async () => {
    const queue = hashQueue({ concurrency: 1, queueLimit: 1 });
    const first = queue.admit();
    const second = queue.admit();
    expect(queue.full).toBe(true);
    expect(() => queue.admit()).toThrow(expect.objectContaining({ code: "SERVICE_UNAVAILABLE", status: 503 }));
    await expect(queue(async () => "extra")).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });

    second.cancel();
    expect(queue.full).toBe(false);
    const third = queue.admit();
    const results = await Promise.all([first.run(async () => 1), third.run(async () => 3)]);
    expect(results).toEqual([1, 3]);
    first.cancel(); // after use: no effect on the count
    expect(queue.full).toBe(false);
    await expect(first.run(async () => 1)).rejects.toThrow("already used");
  });

  it("when a waiting job's client has gone, then it is dropped and never computed, and its place is freed", async () => {
    const queue = hashQueue({ concurrency: 1, queueLimit: 1 });
    let release!: () => void;
    const running = queue(() => new Promise<void>((resolve) => (release = resolve)));
    const gone = new AbortController();
    let computed = false;
    const abandoned = queue(async () => void (computed = true), gone.signal);
    gone.abort();
    await expect(abandoned).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    const next = queue(async () => "ran");
    release();
    await running;
    await expect(next).resolves.toBe("ran");
    expect(computed).toBe(false);
  });
});

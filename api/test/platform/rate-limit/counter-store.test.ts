import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/platform/clock.js";
import { createLogger } from "../../../src/platform/logger.js";
import { MemoryCounterStore, type CounterStore } from "../../../src/platform/rate-limit/counter-store.js";
import { createRateLimitStore, type RateLimitStore } from "../../../src/platform/rate-limit/rate-limit-store.js";

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) process.stdout.write("skipping the Redis counter store contract: REDIS_URL is not set\n");

const silent = createLogger({ level: "silent" });
const opened: RateLimitStore[] = [];
afterAll(async () => {
  for (const store of opened) await store.close();
});

/** The same contract for the memory store and, when REDIS_URL is set, the Redis one. */
const backends: { name: string; skip: boolean; make: (clock: ManualClock) => Promise<CounterStore> }[] = [
  { name: "memory", skip: false, make: async (clock) => new MemoryCounterStore(clock) },
  {
    name: "redis",
    skip: !REDIS_URL,
    make: async (clock) => {
      const store = createRateLimitStore({ redisUrl: REDIS_URL, clock, logger: silent, keyPrefix: `test:${randomBytes(6).toString("hex")}:` });
      opened.push(store);
      expect(await store.ready(3000), "Redis at REDIS_URL must be reachable").toBe(true);
      return store;
    },
  },
];

for (const backend of backends) {
  describe.skipIf(backend.skip)(`${backend.name} counter store`, () => {
    it("when a key is hit, then the window starts at its first hit and counts up", async () => {
      const clock = new ManualClock("2026-11-23T10:00:00.000Z");
      const store = await backend.make(clock);
      expect(await store.hit("k", 60_000)).toEqual({ count: 1, resetAt: new Date("2026-11-23T10:01:00.000Z") });
      clock.advance(30_000);
      expect(await store.hit("k", 60_000)).toEqual({ count: 2, resetAt: new Date("2026-11-23T10:01:00.000Z") });
      expect(await store.peek("k")).toEqual({ count: 2, resetAt: new Date("2026-11-23T10:01:00.000Z") });
    });

    it("when the clock passes the window's end, then the key starts a new window", async () => {
      const clock = new ManualClock("2026-11-23T10:00:00.000Z");
      const store = await backend.make(clock);
      await store.hit("k", 60_000);
      await store.hit("k", 60_000);
      clock.advance(60_000);
      expect(await store.peek("k")).toBeUndefined();
      expect(await store.hit("k", 60_000)).toEqual({ count: 1, resetAt: new Date("2026-11-23T10:02:00.000Z") });
    });

    it("when a hit is undone or the key reset, then the count goes down or away; keys are independent", async () => {
      const clock = new ManualClock();
      const store = await backend.make(clock);
      await store.hit("a", 60_000);
      await store.hit("a", 60_000);
      await store.hit("b", 60_000);
      await store.undo("a");
      expect((await store.peek("a"))?.count).toBe(1);
      await store.undo("a");
      await store.undo("a");
      expect((await store.peek("a"))?.count).toBe(0);
      await store.reset("b");
      expect(await store.peek("b")).toBeUndefined();
    });
  });
}

describe("memory store housekeeping", () => {
  it("when windows have lapsed, then a later hit sweeps them out", async () => {
    const clock = new ManualClock();
    const store = new MemoryCounterStore(clock);
    for (let i = 0; i < 50; i += 1) await store.hit(`k${i}`, 1000);
    expect(store.size).toBe(50);
    clock.advance(120_000);
    await store.hit("fresh", 1000);
    expect(store.size).toBe(1);
  });
});

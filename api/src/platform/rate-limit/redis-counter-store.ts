import type { RedisClientType } from "redis";
import type { Clock } from "../clock.js";
import type { CounterStore, WindowState } from "./counter-store.js";

/*
 * Each key is a hash { c: count, r: resetAt in ms of the injected clock }. The window's
 * end is computed from our clock, not Redis's, so tests can move time;
 * Redis's own expiry only collects keys that nobody hits any more.
 */
const HIT = `
local now = tonumber(ARGV[1])
local resetAt = tonumber(redis.call('HGET', KEYS[1], 'r'))
if (not resetAt) or resetAt <= now then
  resetAt = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'c', 0, 'r', resetAt)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
local count = redis.call('HINCRBY', KEYS[1], 'c', 1)
return {count, resetAt}
`;

const UNDO = `
local count = tonumber(redis.call('HGET', KEYS[1], 'c'))
if count and count > 0 then redis.call('HINCRBY', KEYS[1], 'c', -1) end
return 1
`;

/** Real time a key outlives its window, so a slow test or a skewed clock never loses a live window. */
const EXPIRY_MARGIN_MS = 60_000;

/** Counters shared by every instance through Redis; each operation is one atomic script. */
export class RedisCounterStore implements CounterStore {
  constructor(
    private readonly client: RedisClientType,
    private readonly clock: Clock,
    private readonly prefix: string,
  ) {}

  async hit(key: string, windowMs: number): Promise<WindowState> {
    const reply = (await this.client.eval(HIT, {
      keys: [this.prefix + key],
      arguments: [String(this.clock.now().getTime()), String(windowMs), String(windowMs + EXPIRY_MARGIN_MS)],
    })) as [number, number];
    return { count: Number(reply[0]), resetAt: new Date(Number(reply[1])) };
  }

  async peek(key: string): Promise<WindowState | undefined> {
    const [count, resetAt] = await this.client.hmGet(this.prefix + key, ["c", "r"]);
    if (count == null || resetAt == null || Number(resetAt) <= this.clock.now().getTime()) return undefined;
    return { count: Number(count), resetAt: new Date(Number(resetAt)) };
  }

  async undo(key: string): Promise<void> {
    await this.client.eval(UNDO, { keys: [this.prefix + key] });
  }

  async reset(key: string): Promise<void> {
    await this.client.del(this.prefix + key);
  }
}

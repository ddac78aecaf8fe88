import { createClient, type RedisClientType } from "redis";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { MemoryCounterStore, type CounterStore, type WindowState } from "./counter-store.js";
import { RedisCounterStore } from "./redis-counter-store.js";

/** The counters behind every rate limit of this instance (AppContext.rateLimits). */
export interface RateLimitStore extends CounterStore {
  /** "redis" when REDIS_URL is set (even while falling back), else "memory". */
  readonly backend: "redis" | "memory";
  /** Operations served by this instance's memory because Redis failed; exported as a metric. */
  readonly fallbacks: number;
  /** Resolves true once Redis is connected (at once without Redis), false after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface RateLimitStoreOptions {
  redisUrl?: string;
  clock: Clock;
  logger: Logger;
  /** Namespace of this app's keys in Redis. */
  keyPrefix?: string;
  /** Per-command bound: a slow Redis must not hold a login. */
  commandTimeoutMs?: number;
  /** Called for every operation served from memory because Redis failed (the metric). */
  onFallback?: () => void;
}

export function createRateLimitStore(options: RateLimitStoreOptions): RateLimitStore {
  const memory = new MemoryCounterStore(options.clock);
  if (!options.redisUrl) return memoryOnly(memory);
  return new FallbackRateLimitStore(options, memory);
}

function memoryOnly(memory: MemoryCounterStore): RateLimitStore {
  return {
    backend: "memory",
    fallbacks: 0,
    hit: (key, windowMs) => memory.hit(key, windowMs),
    peek: (key) => memory.peek(key),
    undo: (key) => memory.undo(key),
    reset: (key) => memory.reset(key),
    ready: async () => true,
    close: async () => undefined,
  };
}

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
  });

/**
 * Redis first; when a Redis command fails (down, timed out, not yet connected) the same
 * operation runs on this instance's memory, so logins keep working with per-instance
 * limits. The switch and the recovery are each logged once; every
 * operation served from memory is counted in `fallbacks`.
 */
class FallbackRateLimitStore implements RateLimitStore {
  readonly backend = "redis" as const;
  fallbacks = 0;
  private degraded = false;
  private closed = false;
  private readonly client: RedisClientType;
  private readonly redis: RedisCounterStore;
  private readonly firstConnect: Promise<boolean>;

  constructor(
    private readonly options: RateLimitStoreOptions,
    private readonly memory: MemoryCounterStore,
  ) {
    const logger = options.logger;
    this.client = createClient({
      url: options.redisUrl,
      // Fail fast instead of queueing while disconnected: the memory fallback answers.
      disableOfflineQueue: true,
      commandOptions: { timeout: options.commandTimeoutMs ?? 500 },
      socket: { connectTimeout: 1000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000) },
    }) as RedisClientType;
    // Unhandled, a client 'error' event would crash the process; reconnects repeat it, so log once per outage.
    let errorLogged = false;
    this.client.on("error", (err: Error) => {
      if (errorLogged || this.closed) return;
      errorLogged = true;
      logger.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, "redis connection error");
    });
    this.client.on("ready", () => {
      errorLogged = false;
    });
    this.redis = new RedisCounterStore(this.client, options.clock, options.keyPrefix ?? "rl:");
    this.firstConnect = this.client.connect().then(
      () => true,
      () => false,
    );
  }

  hit(key: string, windowMs: number): Promise<WindowState> {
    return this.run((store) => store.hit(key, windowMs));
  }

  peek(key: string): Promise<WindowState | undefined> {
    return this.run((store) => store.peek(key));
  }

  undo(key: string): Promise<void> {
    return this.run((store) => store.undo(key));
  }

  reset(key: string): Promise<void> {
    return this.run((store) => store.reset(key));
  }

  async ready(timeoutMs = 2000): Promise<boolean> {
    if (this.client.isReady) return true;
    await Promise.race([this.firstConnect, delay(timeoutMs)]);
    return this.client.isReady;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.isReady) await this.client.close().catch(() => this.client.destroy());
    else if (this.client.isOpen) this.client.destroy();
  }

  private async run<T>(operation: (store: CounterStore) => Promise<T>): Promise<T> {
    // Right after start-up, wait briefly for the first connection rather than fall back at once.
    if (!this.client.isReady && !this.degraded) await this.ready(1000);
    try {
      const result = await operation(this.redis);
      if (this.degraded) {
        this.degraded = false;
        this.options.logger.info("redis reachable again: rate limits are shared across instances");
      }
      return result;
    } catch (err) {
      this.fallbacks += 1;
      this.options.onFallback?.();
      if (!this.degraded) {
        this.degraded = true;
        const e = err as { message?: string; name?: string };
        this.options.logger.warn(
          { err: { name: e?.name, message: e?.message } },
          "redis unavailable: rate limits fall back to this instance's memory",
        );
      }
      return operation(this.memory);
    }
  }
}

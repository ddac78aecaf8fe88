import type { Clock } from "../clock.js";

/** One key's fixed window: it starts with the key's first hit and lasts `windowMs`. */
export interface WindowState {
  count: number;
  resetAt: Date;
}

/**
 * Hit counters with a window per key, read against the injected clock so tests move
 * time instead of sleeping. Keys are namespaced by the caller.
 */
export interface CounterStore {
  /** Counts one hit and returns the window's state after it. A lapsed window starts anew. */
  hit(key: string, windowMs: number): Promise<WindowState>;
  /** The window's state without counting; undefined when there is no live window. */
  peek(key: string): Promise<WindowState | undefined>;
  /** Takes one hit back (never below zero). */
  undo(key: string): Promise<void>;
  /** Forgets the key. */
  reset(key: string): Promise<void>;
}

const SWEEP_EVERY_MS = 60_000;

/** One instance's counters. No timers: lapsed windows are swept lazily as time moves. */
export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private nextSweepAt = 0;

  constructor(private readonly clock: Clock) {}

  async hit(key: string, windowMs: number): Promise<WindowState> {
    const now = this.clock.now().getTime();
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetAt: new Date(window.resetAt) };
  }

  async peek(key: string): Promise<WindowState | undefined> {
    const window = this.windows.get(key);
    if (!window || window.resetAt <= this.clock.now().getTime()) return undefined;
    return { count: window.count, resetAt: new Date(window.resetAt) };
  }

  async undo(key: string): Promise<void> {
    const window = this.windows.get(key);
    if (window && window.count > 0) window.count -= 1;
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + SWEEP_EVERY_MS;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

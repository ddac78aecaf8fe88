import type { Request, RequestHandler } from "express";
import { ipKeyGenerator, rateLimit, type ClientRateLimitInfo, type IncrementResponse, type Store } from "express-rate-limit";
import type { AppContext } from "../../context.js";
import { rateLimited } from "../errors.js";

export interface RateLimiterOptions {
  /** Names the limiter in keys and logs, e.g. "auth-login", "checkout". */
  name: string;
  /** Requests allowed per window and key. */
  limit: number;
  windowMs: number;
  /** Whose budget a request spends, e.g. `clientIpKey` or the authenticated user's id. */
  key: (req: Request) => string;
}

/**
 * The client's address as Express resolved it under `trust proxy`: with TRUST_PROXY=false
 * a client-written X-Forwarded-For is ignored. IPv6 clients are grouped by /56, since one
 * subscriber usually holds a whole prefix.
 */
export function clientIpKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? "unknown", 56);
}

/** Seconds until a window ends, by the injected clock; at least 1 so clients do wait. */
export function secondsUntil(ctx: AppContext, resetAt: Date): number {
  return Math.max(1, Math.ceil((resetAt.getTime() - ctx.clock.now().getTime()) / 1000));
}

/** express-rate-limit's Store over the context's shared counters (Redis or memory). */
class ContextStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;

  constructor(
    private readonly ctx: AppContext,
    name: string,
    private readonly windowMs: number,
  ) {
    this.prefix = `${name}:`;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const state = await this.ctx.rateLimits.hit(this.prefix + key, this.windowMs);
    return { totalHits: state.count, resetTime: state.resetAt };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const state = await this.ctx.rateLimits.peek(this.prefix + key);
    return state && { totalHits: state.count, resetTime: state.resetAt };
  }

  async decrement(key: string): Promise<void> {
    await this.ctx.rateLimits.undo(this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    await this.ctx.rateLimits.reset(this.prefix + key);
  }
}

/**
 * Express middleware allowing `limit` requests per key and window; beyond that it answers
 * 429 problem+json RATE_LIMITED with Retry-After. Counters live in `ctx.rateLimits`, so
 * with REDIS_URL every instance enforces one limit. Create it once, at router creation.
 */
export function createRateLimiter(ctx: AppContext, options: RateLimiterOptions): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    store: new ContextStore(ctx, options.name, options.windowMs),
    keyGenerator: (req) => options.key(req),
    // The library computes its headers from Date.now(); ours come from the injected clock.
    standardHeaders: false,
    legacyHeaders: false,
    // The library's own warnings go to our logger, never to the console.
    logger: {
      warn: (err: unknown, message?: string) => ctx.logger.warn({ err, limiter: options.name }, message ?? "rate limiter warning"),
      error: (err: unknown, message?: string) => ctx.logger.error({ err, limiter: options.name }, message ?? "rate limiter error"),
    },
    handler: (req, _res, next) => {
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const retryAfter = info?.resetTime ? secondsUntil(ctx, info.resetTime) : Math.ceil(options.windowMs / 1000);
      (req.log ?? ctx.logger).warn({ limiter: options.name, retryAfter }, "rate limit reached");
      next(rateLimited(retryAfter));
    },
  });
}

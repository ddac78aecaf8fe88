import type { CookieOptions, Request, RequestHandler, Response } from "express";
import type { Config } from "../platform/config.js";
import { AppError } from "../platform/errors.js";

export const REFRESH_COOKIE = "refresh_token";

/**
 * The refresh cookie: HttpOnly (no script reads it), Secure in production,
 * SameSite=Strict (no cross-site request carries it), Path=/auth (sent to nothing else).
 */
function cookieOptions(config: Config): CookieOptions {
  return { httpOnly: true, secure: config.isProduction, sameSite: "strict", path: "/auth" };
}

/** `maxAgeMs`: what is left of the token's family (rotation never extends it). */
export function setRefreshCookie(res: Response, config: Config, token: string, maxAgeMs = config.auth.refreshTokenTtlSeconds * 1000): void {
  res.cookie(REFRESH_COOKIE, token, { ...cookieOptions(config), maxAge: Math.max(0, maxAgeMs) });
}

export function clearRefreshCookie(res: Response, config: Config): void {
  res.clearCookie(REFRESH_COOKIE, cookieOptions(config));
}

export function readRefreshCookie(req: Request): string | undefined {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[REFRESH_COOKIE];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Defence in depth beside SameSite=Strict: a browser request to refresh or logout whose
 * Origin is present and not in CORS_ORIGINS is refused. Non-browser clients send no Origin.
 */
export function requireAllowedOrigin(config: Config): RequestHandler {
  return (req, _res, next) => {
    const origin = req.get("origin");
    if (origin !== undefined && !config.http.corsOrigins.includes(origin)) {
      return next(new AppError("ORIGIN_NOT_ALLOWED", "This origin may not use the refresh cookie."));
    }
    next();
  };
}

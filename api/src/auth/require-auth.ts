import type { RequestHandler } from "express";
import type { AppContext } from "../context.js";
import { forbidden, unauthenticated } from "../platform/errors.js";
import { verifyAccessToken, type Role } from "./access-tokens.js";

// The scheme name is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/**
 * Accepts a request carrying a valid `Authorization: Bearer <access token>` and sets
 * `req.user`; anything else is 401 UNAUTHENTICATED. No database call: the token's own
 * claims are enough for "who is this". Routes that need the current role use requireRole.
 */
export function requireAuth(ctx: AppContext): RequestHandler {
  return (req, _res, next) => {
    const match = BEARER.exec(req.get("authorization") ?? "");
    const claims = match ? verifyAccessToken(ctx.config.auth, ctx.clock, match[1]!) : undefined;
    if (!claims) return next(unauthenticated());
    req.user = { id: claims.userId, role: claims.role };
    next();
  };
}

/**
 * Allows only users whose role, read from the database now, is `role` and who are still
 * active: a demoted or deactivated admin loses access at once, not when the token expires.
 * Mount after requireAuth. 403 FORBIDDEN otherwise (401 when the user no longer exists).
 */
export function requireRole(ctx: AppContext, role: Role): RequestHandler {
  return async (req, _res, next) => {
    if (!req.user) return next(unauthenticated());
    const user = await ctx.prisma.user.findUnique({ where: { id: req.user.id }, select: { role: true, isActive: true } });
    if (!user) return next(unauthenticated());
    if (!user.isActive || user.role !== role) return next(forbidden());
    req.user = { id: req.user.id, role: user.role };
    next();
  };
}

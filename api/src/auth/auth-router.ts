import cookieParser from "cookie-parser";
import { Router, type RequestHandler, type Response } from "express";
import type { AppContext } from "../context.js";
import { clientGone } from "../platform/http/client-gone.js";
import { inputOf, validate } from "../platform/http/validate.js";
import { clientIpKey, createRateLimiter } from "../platform/rate-limit/rate-limiter.js";
import * as auth from "./auth-service.js";
import { dummyHash } from "./passwords.js";
import { clearRefreshCookie, readRefreshCookie, requireAllowedOrigin, setRefreshCookie } from "./refresh-cookie.js";
import { requireAuth } from "./require-auth.js";
import { emptyBody, loginBody, registerBody } from "./schema.js";

/** /auth: register, login, refresh, logout, me. Thin: parse → one service call → present. */
export function createAuthRouter(ctx: AppContext): Router {
  const router = Router();
  const { config } = ctx;
  // One budget per route and client IP, so a burst of logins does not block refreshes.
  const perIp = (name: string) =>
    createRateLimiter(ctx, { name: `auth-${name}`, limit: config.auth.rateLimitPerMinute, windowMs: 60_000, key: clientIpKey });
  const sameOrigin = requireAllowedOrigin(config);
  // Unknown emails are compared against a dummy hash: make it now, not during the first login.
  void dummyHash(config.auth.bcryptCost);

  const sendSession = (res: Response, session: auth.Session) => {
    setRefreshCookie(res, config, session.refresh.token, session.refresh.expiresAt.getTime() - ctx.clock.now().getTime());
    // Tokens must not be cached by browsers or proxies (RFC 6749 §5.1).
    res.set("Cache-Control", "no-store");
    res.json({ accessToken: session.accessToken, tokenType: "Bearer", expiresIn: session.expiresIn, user: session.user });
  };

  // While the hashing queue is full a password request is shed first, before any other work.
  const shedWhenHashingFull: RequestHandler = (_req, _res, next) => {
    auth.refuseWhenHashingFull(ctx);
    next();
  };

  router.post("/register", shedWhenHashingFull, perIp("register"), validate({ body: registerBody }), async (req, res) => {
    const { body } = inputOf(req, { body: registerBody });
    const user = await auth.register(ctx, body, { signal: clientGone(res) }, req.log);
    res.status(201).json({ user });
  });

  // The refresh cookie (Path=/auth) reaches login too: it may mark a known device.
  router.post("/login", shedWhenHashingFull, perIp("login"), cookieParser(), validate({ body: loginBody }), async (req, res) => {
    const { body } = inputOf(req, { body: loginBody });
    const client = { client: clientIpKey(req), refreshToken: readRefreshCookie(req), signal: clientGone(res) };
    sendSession(res, await auth.login(ctx, body, client, req.log));
  });

  router.post("/refresh", perIp("refresh"), sameOrigin, cookieParser(), validate({ body: emptyBody }), async (req, res) => {
    try {
      sendSession(res, await auth.refresh(ctx, readRefreshCookie(req), req.log));
    } catch (err) {
      // A refused token is dead: drop it from the browser too.
      clearRefreshCookie(res, config);
      throw err;
    }
  });

  router.post("/logout", sameOrigin, cookieParser(), validate({ body: emptyBody }), async (req, res) => {
    await auth.logout(ctx, readRefreshCookie(req), req.log);
    clearRefreshCookie(res, config);
    res.status(204).end();
  });

  router.get("/me", requireAuth(ctx), async (req, res) => {
    res.json({ user: await auth.currentUser(ctx, req.user!.id) });
  });

  return router;
}

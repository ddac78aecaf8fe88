import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { z } from "zod";
import type { Clock } from "../platform/clock.js";
import type { Config } from "../platform/config.js";

export type Role = "USER" | "ADMIN";

export interface AccessTokenClaims {
  userId: string;
  role: Role;
}

/** Clock skew tolerated between this instance and the one that signed a token. */
export const CLOCK_SKEW_SECONDS = 30;

// One algorithm, pinned: verification refuses `alg: none`, RS/ES/PS and the other HS sizes.
const ALGORITHM = "HS256";

const claimsSchema = z.object({
  sub: z.uuid(),
  role: z.enum(["USER", "ADMIN"]),
  iat: z.number().int(),
  exp: z.number().int(),
});

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

const keys = new Map<string, KeyObject>();

/**
 * The HMAC key as a KeyObject, made once per secret. Given a string, jsonwebtoken builds a
 * KeyObject on every call, first trying to parse the secret as a PEM public key and
 * catching the failure; caching the key keeps that work off every authenticated request.
 */
function hmacKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, "utf8"));
    keys.set(secret, key);
  }
  return key;
}

/** Signs a short-lived access token. `iat` (and so `exp`) come from the injected clock. */
export function signAccessToken(config: Config["auth"], clock: Clock, claims: AccessTokenClaims): string {
  // jsonwebtoken computes `exp` from the payload's `iat` when one is given.
  return jwt.sign({ role: claims.role, iat: seconds(clock.now()) }, hmacKey(config.jwtSecret), {
    algorithm: ALGORITHM,
    subject: claims.userId,
    issuer: config.issuer,
    audience: config.audience,
    expiresIn: config.accessTokenTtlSeconds,
  });
}

/**
 * Verifies signature, algorithm, issuer, audience and expiry (against the injected clock,
 * with a small skew) and the shape of the claims. Returns undefined for any token that
 * fails, so callers cannot tell an attacker which check it failed.
 */
export function verifyAccessToken(config: Config["auth"], clock: Clock, token: string): AccessTokenClaims | undefined {
  try {
    const payload = jwt.verify(token, hmacKey(config.jwtSecret), {
      algorithms: [ALGORITHM],
      issuer: config.issuer,
      audience: config.audience,
      clockTimestamp: seconds(clock.now()),
      clockTolerance: CLOCK_SKEW_SECONDS,
    });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return undefined;
    // A token "issued" far in the future was not issued by this clock.
    if (claims.data.iat > seconds(clock.now()) + CLOCK_SKEW_SECONDS) return undefined;
    return { userId: claims.data.sub, role: claims.data.role };
  } catch {
    return undefined;
  }
}

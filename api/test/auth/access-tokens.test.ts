import { createHmac } from "node:crypto";
import jwt from "jsonwebtoken";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAccessToken, verifyAccessToken } from "../../src/auth/access-tokens.js";
import { accessTokenFor, createUser } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { TEST_SECRETS } from "../helpers/constants.js";
import { expectProblem } from "./support.js";

let t: TestApp;
let userId: string;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-access-tokens" });
  userId = (await createUser(t.ctx)).user.id;
});
afterAll(() => t.close());

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const nowSeconds = () => Math.floor(t.clock.now().getTime() / 1000);
const validClaims = () => ({ sub: userId, role: "USER", iss: "checkout-api", aud: "checkout-api", iat: nowSeconds(), exp: nowSeconds() + 900 });
const me = (token: string) => request(t.app).get("/auth/me").set("Authorization", `Bearer ${token}`);

describe("access tokens", () => {
  it("when a token is signed, then it carries sub, role, iss, aud, iat and exp and is HS256", () => {
    const token = signAccessToken(t.ctx.config.auth, t.clock, { userId, role: "USER" });
    const decoded = jwt.decode(token, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: "HS256", typ: "JWT" });
    expect(decoded.payload).toEqual({ ...validClaims() });
  });

  it("when a correctly signed token is presented, then /auth/me accepts it", async () => {
    expect((await me(accessTokenFor(t.ctx, { id: userId, role: "USER" }))).status).toBe(200);
  });

  it("when the scheme is written in lower case, then the token is still accepted", async () => {
    const token = accessTokenFor(t.ctx, { id: userId, role: "USER" });
    expect((await request(t.app).get("/auth/me").set("Authorization", `bearer ${token}`)).status).toBe(200);
  });

  it("when the token says alg none, then it is refused", async () => {
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64(validClaims())}.`;
    expectProblem(await me(unsigned), 401, "UNAUTHENTICATED");
    expect(verifyAccessToken(t.ctx.config.auth, t.clock, unsigned)).toBeUndefined();
  });

  it("when the token is signed with another HMAC size (HS512) and the right secret, then it is refused", async () => {
    const header = b64({ alg: "HS512", typ: "JWT" });
    const payload = b64(validClaims());
    const signature = createHmac("sha512", TEST_SECRETS.jwtSecret).update(`${header}.${payload}`).digest("base64url");
    expectProblem(await me(`${header}.${payload}.${signature}`), 401, "UNAUTHENTICATED");
  });

  it("when the token is signed with a wrong secret, then it is refused", async () => {
    expectProblem(await me(jwt.sign(validClaims(), "another-secret-that-is-long-enough-000", { algorithm: "HS256" })), 401, "UNAUTHENTICATED");
  });

  it("when the audience or issuer is wrong, then it is refused", async () => {
    const sign = (claims: object) => jwt.sign(claims, TEST_SECRETS.jwtSecret, { algorithm: "HS256" });
    expectProblem(await me(sign({ ...validClaims(), aud: "another-api" })), 401, "UNAUTHENTICATED");
    expectProblem(await me(sign({ ...validClaims(), iss: "someone-else" })), 401, "UNAUTHENTICATED");
  });

  it("when the claims are malformed (no role, bad sub), then it is refused", async () => {
    const sign = (claims: object) => jwt.sign(claims, TEST_SECRETS.jwtSecret, { algorithm: "HS256" });
    const { role: _role, ...noRole } = validClaims();
    expectProblem(await me(sign(noRole)), 401, "UNAUTHENTICATED");
    expectProblem(await me(sign({ ...validClaims(), sub: "not-a-uuid" })), 401, "UNAUTHENTICATED");
    expectProblem(await me(sign({ ...validClaims(), role: "ROOT" })), 401, "UNAUTHENTICATED");
  });

  it("when the token expired, then it is refused beyond the small skew and accepted within it", async () => {
    const token = accessTokenFor(t.ctx, { id: userId, role: "USER" });
    const saved = t.clock.now();
    try {
      t.clock.advance((900 + 20) * 1000);
      expect((await me(token)).status).toBe(200);
      t.clock.advance(15 * 1000);
      expectProblem(await me(token), 401, "UNAUTHENTICATED");
    } finally {
      t.clock.set(saved);
    }
  });

  it("when a token claims to be issued in the future beyond the skew, then it is refused", () => {
    const future = jwt.sign({ ...validClaims(), iat: nowSeconds() + 3600, exp: nowSeconds() + 7200 }, TEST_SECRETS.jwtSecret, { algorithm: "HS256" });
    expect(verifyAccessToken(t.ctx.config.auth, t.clock, future)).toBeUndefined();
  });
});

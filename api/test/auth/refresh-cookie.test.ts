import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { refreshCookieOf, setCookies } from "./support.js";

/** The attributes of the refresh_token Set-Cookie line, by lower-cased name. */
function attributesOf(line: string): Record<string, string | true> {
  const [, ...parts] = line.split(";").map((p) => p.trim());
  return Object.fromEntries(parts.map((p) => {
    const [name, ...value] = p.split("=");
    return [name!.toLowerCase(), value.length ? value.join("=") : true];
  }));
}

const refreshLine = (res: request.Response) => setCookies(res).find((c) => c.startsWith("refresh_token="))!;

describe.each([
  { mode: "development", env: { NODE_ENV: "development" }, secure: false },
  {
    mode: "production",
    // Production refuses the test Stripe stand-in and costs below 10 (config.ts).
    env: { NODE_ENV: "production", STRIPE_API_URL: undefined, STRIPE_ALLOW_TEST_KEYS: "true", BCRYPT_COST: "10", METRICS_PUBLIC: "true" },
    secure: true,
  },
])("the refresh cookie in $mode mode", ({ mode, env, secure }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupTestApp({ name: `auth-cookie-${mode}`, env });
  });
  afterAll(() => t.close());

  it(`when logging in, then the cookie is HttpOnly, SameSite=Strict, Path=/auth, Max-Age = refresh TTL${secure ? ", Secure" : ", not Secure"}`, async () => {
    const { user, password } = await createUser(t.ctx);
    const res = await request(t.app).post("/auth/login").send({ email: user.email, password });
    expect(res.status).toBe(200);
    const attributes = attributesOf(refreshLine(res));
    expect(attributes).toMatchObject({ httponly: true, samesite: "Strict", path: "/auth", "max-age": "2592000" });
    expect("secure" in attributes).toBe(secure);
    expect(refreshCookieOf(res)).toMatch(/^refresh_token=[A-Za-z0-9_-]{43}$/);

    const rotated = await request(t.app).post("/auth/refresh").set("Cookie", refreshCookieOf(res));
    // Expires is derived from Max-Age at send time: two answers may straddle a second.
    const { expires: _first, ...stable } = attributes;
    const { expires: _second, ...rotatedStable } = attributesOf(refreshLine(rotated));
    expect(rotatedStable).toEqual(stable);
  });

  it("when logging out, then the cookie is cleared with the same Path and flags", async () => {
    const res = await request(t.app).post("/auth/logout");
    expect(res.status).toBe(204);
    const line = refreshLine(res);
    expect(line).toMatch(/^refresh_token=;/);
    const attributes = attributesOf(line);
    expect(attributes).toMatchObject({ httponly: true, samesite: "Strict", path: "/auth", expires: "Thu, 01 Jan 1970 00:00:00 GMT" });
    expect("secure" in attributes).toBe(secure);
  });
});

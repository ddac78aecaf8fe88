import { randomBytes, randomUUID } from "node:crypto";
import { CheckFailed, expectStatus, field, type SmokeHttp } from "./smoke-http.js";

/**
 * The checks of SMOKE_TEST.md, in its order. What runs depends on the mode:
 * against production only checks that create nothing; SMOKE_CHECKOUT=1 adds an account and a
 * checkout session (test keys only); SMOKE_SANDBOX=1 also pays through the Stripe stand-in.
 */

export interface SmokeOptions {
  checkout: boolean;
  sandbox: boolean;
  /** An existing account to log in with (SMOKE_EMAIL / SMOKE_PASSWORD). */
  account?: { email: string; password: string };
  runId: string;
  /** How long to wait for the order to be paid after paying (the webhook is asynchronous). */
  paidWithinMs: number;
}

export interface Check {
  name: string;
  /** Why it does not run in this mode; it is printed, not run. */
  skip?: string;
  run(): Promise<void>;
}

const FOREIGN_ORIGIN = "https://smoke-test.invalid";

export function smokeChecks(http: SmokeHttp, options: SmokeOptions): Check[] {
  const state: {
    account?: { email: string; password: string };
    accessToken?: string;
    cookie?: string;
    productId?: string;
    session?: { orderId: string; sessionId: string; url: string };
  } = {};
  const bearer = () => ({ authorization: `Bearer ${state.accessToken}` });
  const noLogin = "set SMOKE_EMAIL and SMOKE_PASSWORD, or SMOKE_CHECKOUT=1";

  const checks: Check[] = [
    {
      name: "GET /health answers 200 {status: ok}",
      async run() {
        const reply = await http.request("GET", "/health");
        expectStatus(reply, 200, "GET /health");
        if (field(reply.json, "status") !== "ok") throw new CheckFailed(`GET /health: body ${reply.text}`);
      },
    },
    {
      name: "GET /ready answers 200: database and migrations ok",
      async run() {
        const reply = await http.request("GET", "/ready");
        expectStatus(reply, 200, "GET /ready");
        if (field(reply.json, "checks", "database") !== "ok" || field(reply.json, "checks", "migrations") !== "ok") throw new CheckFailed(`GET /ready: body ${reply.text}`);
      },
    },
    {
      name: "security headers: nosniff, frame options, CSP, HSTS, X-Request-Id; no X-Powered-By",
      async run() {
        const { headers } = await http.request("GET", "/health");
        const missing = ["x-content-type-options", "x-frame-options", "content-security-policy", "strict-transport-security", "x-request-id"].filter((h) => !headers.get(h));
        if (missing.length) throw new CheckFailed(`missing headers: ${missing.join(", ")}`);
        if (headers.get("x-content-type-options") !== "nosniff") throw new CheckFailed("X-Content-Type-Options is not nosniff");
        if (headers.get("x-powered-by")) throw new CheckFailed("X-Powered-By is present");
      },
    },
    {
      name: `CORS refuses a foreign origin (${FOREIGN_ORIGIN})`,
      async run() {
        const preflight = await http.request("OPTIONS", "/auth/login", {
          headers: { origin: FOREIGN_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
        });
        if (preflight.headers.get("access-control-allow-origin")) throw new CheckFailed(`preflight allowed ${preflight.headers.get("access-control-allow-origin")}`);
        const refresh = await http.request("POST", "/auth/refresh", { headers: { origin: FOREIGN_ORIGIN } });
        expectStatus(refresh, 403, "POST /auth/refresh from a foreign origin");
        if (field(refresh.json, "code") !== "ORIGIN_NOT_ALLOWED") throw new CheckFailed(`POST /auth/refresh from a foreign origin: ${refresh.text}`);
      },
    },
    {
      name: "an unsigned webhook is refused: 400 INVALID_SIGNATURE",
      async run() {
        const reply = await http.request("POST", "/webhooks/stripe", { body: { id: "evt_smoke_unsigned", type: "checkout.session.completed" } });
        expectStatus(reply, 400, "POST /webhooks/stripe without a signature");
        if (field(reply.json, "code") !== "INVALID_SIGNATURE") throw new CheckFailed(`unexpected body ${reply.text}`);
      },
    },
    {
      name: "GET /products answers 200 with a list",
      async run() {
        const reply = await http.request("GET", "/products");
        expectStatus(reply, 200, "GET /products");
        const data = field(reply.json, "data");
        if (!Array.isArray(data)) throw new CheckFailed(`GET /products: body ${reply.text.slice(0, 300)}`);
        state.productId = field(data[0], "id") as string | undefined;
        if (options.checkout && !state.productId) throw new CheckFailed("no active product to buy: seed the catalogue (npm run db:seed)");
      },
    },
  ];

  if (options.checkout && !options.account) {
    checks.push({
      name: "register a throwaway account (random password, never printed)",
      async run() {
        // Unknowable password: the account can never be logged into after this run (SMOKE_TEST.md).
        state.account = { email: `smoke-${options.runId}@example.com`, password: randomBytes(24).toString("base64url") };
        const reply = await http.request("POST", "/auth/register", { body: state.account });
        expectStatus(reply, 201, "POST /auth/register");
      },
    });
  }

  checks.push({
    name: "login: access token and an httpOnly, SameSite=Strict refresh cookie",
    skip: options.account || options.checkout ? undefined : noLogin,
    async run() {
      const account = options.account ?? state.account!;
      const reply = await http.request("POST", "/auth/login", { body: account });
      expectStatus(reply, 200, "POST /auth/login");
      state.accessToken = field(reply.json, "accessToken") as string;
      const cookie = reply.headers.getSetCookie().find((c) => c.startsWith("refresh_token="));
      if (!state.accessToken || !cookie) throw new CheckFailed("login answered without an access token or a refresh cookie");
      if (!/;\s*HttpOnly/i.test(cookie) || !/;\s*SameSite=Strict/i.test(cookie)) throw new CheckFailed("the refresh cookie is not HttpOnly and SameSite=Strict");
      state.cookie = cookie.split(";")[0];
      const me = await http.request("GET", "/auth/me", { headers: bearer() });
      expectStatus(me, 200, "GET /auth/me");
      if (field(me.json, "user", "email") !== account.email.trim().toLowerCase()) throw new CheckFailed(`GET /auth/me: ${me.text}`);
    },
  });

  if (options.checkout) {
    checks.push({
      name: "create a checkout session (201, replayed with the same Idempotency-Key)",
      async run() {
        const key = `smoke-${options.runId}`;
        const body = { items: [{ productId: state.productId, quantity: 1 }] };
        const created = await http.request("POST", "/payments/checkout-session", { headers: { ...bearer(), "idempotency-key": key }, body });
        expectStatus(created, 201, "POST /payments/checkout-session");
        state.session = created.json as { orderId: string; sessionId: string; url: string };
        if (!state.session.url || !state.session.sessionId.startsWith("cs_")) throw new CheckFailed(`unexpected body ${created.text}`);
        const replay = await http.request("POST", "/payments/checkout-session", { headers: { ...bearer(), "idempotency-key": key }, body });
        expectStatus(replay, 201, "the same request again");
        if (field(replay.json, "orderId") !== state.session.orderId || replay.headers.get("idempotent-replayed") !== "true") throw new CheckFailed("the retry created another order instead of replaying");
      },
    });
    checks.push({
      name: "the new order is pending",
      async run() {
        const reply = await http.request("GET", `/payments/checkout-session/${state.session!.sessionId}`, { headers: bearer() });
        expectStatus(reply, 200, "GET /payments/checkout-session/:id");
        if (field(reply.json, "order", "status") !== "pending") throw new CheckFailed(`order: ${reply.text}`);
      },
    });
  }

  if (options.sandbox) {
    checks.push({
      name: "pay on the stand-in's hosted page (303 to the success URL)",
      async run() {
        const reply = await http.request("POST", state.session!.url, { form: { action: "pay" }, absolute: true });
        expectStatus(reply, 303, "POST to the hosted checkout page");
        const location = reply.headers.get("location") ?? "";
        if (!location.includes(`session_id=${state.session!.sessionId}`)) throw new CheckFailed(`redirected to ${location}, not the success URL`);
      },
    });
    checks.push({
      name: `the order becomes paid (webhook, within ${options.paidWithinMs / 1000} s)`,
      async run() {
        // GET /orders/:id only reads: this proves the webhook arrived, not the success-page sync.
        const deadline = Date.now() + options.paidWithinMs;
        for (;;) {
          const reply = await http.request("GET", `/orders/${state.session!.orderId}`, { headers: bearer() });
          expectStatus(reply, 200, "GET /orders/:id");
          const status = field(reply.json, "order", "status");
          if (status === "paid") return;
          if (Date.now() > deadline) throw new CheckFailed(`order still ${String(status)}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      },
    });
  }

  checks.push({
    name: "log out: the refresh token is revoked",
    skip: options.account || options.checkout ? undefined : noLogin,
    async run() {
      const out = await http.request("POST", "/auth/logout", { headers: { cookie: state.cookie! } });
      expectStatus(out, 204, "POST /auth/logout");
      const again = await http.request("POST", "/auth/refresh", { headers: { cookie: state.cookie! } });
      expectStatus(again, 401, "POST /auth/refresh with the logged-out cookie");
    },
  });
  return checks;
}

export const newRunId = () => `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;

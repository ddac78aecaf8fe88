import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { Express } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../../src/openapi/document.js";
import { setupTestApp } from "../helpers/app.js";
import { createUser, login } from "../helpers/auth.js";
import { checkoutOne, createBuyer, createProduct, eventOf, sendEvent, setupPaymentsApp, type PaymentsTestApp } from "../helpers/payments.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> };
const document = buildOpenApiDocument("test") as { paths: Record<string, Record<string, Operation>>; components: object };

let t: PaymentsTestApp;
beforeAll(async () => {
  t = await setupPaymentsApp({ name: "openapi" });
});
afterAll(() => t.close());

/** Every (METHOD, path) the Express app answers, read from its router stack. */
function expressRoutes(app: Express): string[] {
  const found: string[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] }; rawPath?: string };
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== "/" ? layer.rawPath : ""));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, "");
  return [...new Set(found)].sort();
}

const documented = () =>
  Object.entries(document.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`))
    .sort();

describe("the OpenAPI document", () => {
  it("when validated against the OpenAPI 3.1 schema, then it is valid", async () => {
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("when compared with the app's routes, then every route is documented and nothing else", () => {
    expect(documented()).toEqual([...expressRoutes(t.app)].sort());
  });

  it("when served, then /openapi.json and /docs answer outside production, and not in production unless DOCS_ENABLED", async () => {
    expect((await request(t.app).get("/openapi.json")).body.openapi).toBe("3.1.0");
    expect((await request(t.app).get("/docs")).text).toContain("/payments/checkout-session");
    const prod = await setupTestApp({ env: { NODE_ENV: "production", STRIPE_API_URL: undefined, STRIPE_ALLOW_TEST_KEYS: "true", BCRYPT_COST: "10", METRICS_PUBLIC: "true" } });
    const prodDocs = await setupTestApp({ env: { NODE_ENV: "production", STRIPE_API_URL: undefined, STRIPE_ALLOW_TEST_KEYS: "true", BCRYPT_COST: "10", METRICS_PUBLIC: "true", DOCS_ENABLED: "true" } });
    try {
      expect((await request(prod.app).get("/openapi.json")).status).toBe(404);
      expect((await request(prodDocs.app).get("/openapi.json")).status).toBe(200);
    } finally {
      await prod.close();
      await prodDocs.close();
    }
  });
});

describe("real responses conform to the document", () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...document.components, $id: "doc" } as object);

  const checked: string[] = [];
  function conforms(method: string, template: string, res: request.Response) {
    const op = document.paths[template]?.[method];
    expect(op, `${method} ${template} documented`).toBeDefined();
    const response = op!.responses[String(res.status)];
    expect(response, `${method} ${template} documents status ${res.status}`).toBeDefined();
    const [mediaType, media] = Object.entries(response!.content ?? {})[0] ?? [];
    if (!media) {
      expect(res.text ?? "").toBe("");
    } else {
      expect(res.headers["content-type"]).toContain(mediaType!.split("/")[1]!.replace("+json", ""));
      if (mediaType!.endsWith("json")) {
        const schema = JSON.parse(JSON.stringify(media.schema).replaceAll('"#/components/', '"doc#/')) as object;
        const validate = ajv.compile(schema);
        expect(validate(res.body), `${method} ${template} ${res.status}: ${JSON.stringify(validate.errors)}`).toBe(true);
      }
    }
    checked.push(`${method} ${template} ${res.status}`);
  }

  it("when the whole product is exercised, then every answer matches its documented schema", async () => {
    const product = await createProduct(t.ctx, { unitAmount: 1200 });
    conforms("get", "/health", await request(t.app).get("/health"));
    conforms("get", "/ready", await request(t.app).get("/ready"));
    conforms("get", "/metrics", await request(t.app).get("/metrics"));
    conforms("get", "/products", await request(t.app).get("/products"));
    conforms("get", "/openapi.json", await request(t.app).get("/openapi.json"));
    conforms("get", "/docs", await request(t.app).get("/docs"));

    const { password, user } = await createUser(t.ctx);
    conforms("post", "/auth/register", await request(t.app).post("/auth/register").send({ email: `new-${Date.now()}@example.test`, password }));
    conforms("post", "/auth/register", await request(t.app).post("/auth/register").send({ email: "bad" }));
    conforms("post", "/auth/register", await request(t.app).post("/auth/register").send({ email: user.email, password }));
    conforms("post", "/auth/login", await request(t.app).post("/auth/login").send({ email: user.email, password: `${password}x` }));
    const loginRes = await request(t.app).post("/auth/login").send({ email: user.email, password });
    conforms("post", "/auth/login", loginRes);
    const session = await login(t.app, user.email, password);
    const auth = `Bearer ${session.accessToken}`;
    conforms("get", "/auth/me", await request(t.app).get("/auth/me").set("Authorization", auth));
    conforms("get", "/auth/me", await request(t.app).get("/auth/me"));
    conforms("post", "/auth/refresh", await request(t.app).post("/auth/refresh").set("Cookie", session.cookie));
    conforms("post", "/auth/refresh", await request(t.app).post("/auth/refresh").set("Cookie", session.cookie));
    const again = await login(t.app, user.email, password);
    conforms("post", "/auth/logout", await request(t.app).post("/auth/logout").set("Cookie", again.cookie));

    conforms("post", "/payments/checkout-session", await request(t.app).post("/payments/checkout-session").set("Authorization", auth).send({ items: [] }));
    const created = await request(t.app).post("/payments/checkout-session").set("Authorization", auth).set("Idempotency-Key", "doc-1").send({ items: [{ productId: product.id, quantity: 1 }] });
    conforms("post", "/payments/checkout-session", created);
    conforms("post", "/payments/checkout-session", await request(t.app).post("/payments/checkout-session").set("Authorization", auth).set("Idempotency-Key", "doc-1").send({ items: [{ productId: product.id, quantity: 2 }] }));
    const completed = eventOf(await t.stripe.completeSession(created.body.sessionId, "paid"), "checkout.session.completed");
    conforms("get", "/payments/checkout-session/{sessionId}", await request(t.app).get(`/payments/checkout-session/${created.body.sessionId}`).set("Authorization", auth));
    conforms("post", "/webhooks/stripe", await sendEvent(t, completed));
    conforms("post", "/webhooks/stripe", await request(t.app).post("/webhooks/stripe").send({}));
    conforms("get", "/orders", await request(t.app).get("/orders").set("Authorization", auth));
    conforms("get", "/orders", await request(t.app).get("/orders?limit=0").set("Authorization", auth));
    conforms("get", "/orders/{id}", await request(t.app).get(`/orders/${created.body.orderId}`).set("Authorization", auth));
    conforms("get", "/orders/{id}", await request(t.app).get(`/orders/00000000-0000-4000-8000-000000000000`).set("Authorization", auth));

    const admin = await createBuyer(t.ctx, "ADMIN");
    conforms("post", "/admin/orders/{id}/refunds", await request(t.app).post(`/admin/orders/${created.body.orderId}/refunds`).set("Authorization", auth).send({}));
    conforms("post", "/admin/orders/{id}/refunds", await request(t.app).post(`/admin/orders/${created.body.orderId}/refunds`).set("Authorization", admin.auth).send({ amount: 200 }));
    conforms("post", "/admin/orders/{id}/refunds", await request(t.app).post(`/admin/orders/${created.body.orderId}/refunds`).set("Authorization", admin.auth).send({ amount: 99999 }));
    const other = await checkoutOne(t, admin.auth, product.id);
    conforms("post", "/admin/orders/{id}/refunds", await request(t.app).post(`/admin/orders/${other.orderId}/refunds`).set("Authorization", admin.auth).send({}));
    t.stripe.injectFault({ path: "/v1/refunds", method: "POST", status: 500, times: 1 });
    const paidOrder = await checkoutOne(t, admin.auth, product.id);
    await sendEvent(t, eventOf(await t.stripe.completeSession(paidOrder.sessionId, "paid"), "checkout.session.completed"));
    const refundOf = (amount: number) => request(t.app).post(`/admin/orders/${paidOrder.orderId}/refunds`).set("Authorization", admin.auth).send({ amount });
    conforms("post", "/admin/orders/{id}/refunds", await refundOf(100));
    t.stripe.injectFault({ path: "/v1/refunds", method: "GET", status: 500, times: 1 });
    conforms("post", "/admin/orders/{id}/refunds", await refundOf(100));
    conforms("get", "/admin/orders/{id}", await request(t.app).get(`/admin/orders/${created.body.orderId}`).set("Authorization", admin.auth));
    conforms("get", "/admin/orders/{id}", await request(t.app).get("/admin/orders/00000000-0000-4000-8000-000000000000").set("Authorization", admin.auth));
    conforms("get", "/admin/orders/{id}", await request(t.app).get(`/admin/orders/${created.body.orderId}`).set("Authorization", auth));
    conforms("get", "/admin/metrics", await request(t.app).get("/admin/metrics").set("Authorization", admin.auth));
    conforms("get", "/admin/metrics", await request(t.app).get("/admin/metrics").set("Authorization", auth));

    expect(checked).toEqual(expect.arrayContaining(["post /admin/orders/{id}/refunds 202", "post /admin/orders/{id}/refunds 409", "get /admin/orders/{id} 200"]));
    const routesSeen = new Set(checked.map((c) => c.split(" ").slice(0, 2).join(" ")));
    expect(routesSeen.size).toBe(Object.values(document.paths).reduce((n, ops) => n + Object.keys(ops).length, 0));
  });
});

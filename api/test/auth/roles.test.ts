import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireAuth, requireRole } from "../../src/auth/require-auth.js";
import { errorHandler } from "../../src/platform/http/error-handler.js";
import { requestBasics } from "../../src/platform/http/request-id.js";
import { accessTokenFor, createUser } from "../helpers/auth.js";
import { setupTestApp, type TestApp } from "../helpers/app.js";
import { expectProblem } from "./support.js";

let t: TestApp;
let adminApp: express.Express;
beforeAll(async () => {
  t = await setupTestApp({ name: "auth-roles" });
  // An admin-only route guarded exactly as every admin router guards its routes.
  adminApp = express();
  adminApp.use(requestBasics({ draining: false }));
  adminApp.get("/admin/ping", requireAuth(t.ctx), requireRole(t.ctx, "ADMIN"), (req, res) => {
    res.json({ user: req.user });
  });
  adminApp.use(errorHandler(t.ctx.logger));
});
afterAll(() => t.close());

const ping = (token?: string) => {
  const req = request(adminApp).get("/admin/ping");
  return token ? req.set("Authorization", `Bearer ${token}`) : req;
};

describe("requireRole('ADMIN')", () => {
  it("when the caller is an admin, then 200", async () => {
    const { user } = await createUser(t.ctx, { role: "ADMIN" });
    const res = await ping(accessTokenFor(t.ctx, user));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { id: user.id, role: "ADMIN" } });
  });

  it("when the caller is a user, then 403 FORBIDDEN", async () => {
    const { user } = await createUser(t.ctx);
    expectProblem(await ping(accessTokenFor(t.ctx, user)), 403, "FORBIDDEN");
  });

  it("when there is no token, then 401 UNAUTHENTICATED", async () => {
    expectProblem(await ping(), 401, "UNAUTHENTICATED");
  });

  it("when an admin was demoted after the token was issued, then the current role counts: 403", async () => {
    const { user } = await createUser(t.ctx, { role: "ADMIN" });
    const token = accessTokenFor(t.ctx, user);
    await t.ctx.prisma.user.update({ where: { id: user.id }, data: { role: "USER" } });
    expectProblem(await ping(token), 403, "FORBIDDEN");
  });

  it("when an admin was deactivated, then 403", async () => {
    const { user } = await createUser(t.ctx, { role: "ADMIN" });
    const token = accessTokenFor(t.ctx, user);
    await t.ctx.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
    expectProblem(await ping(token), 403, "FORBIDDEN");
  });

  it("when a user was promoted after the token was issued, then the current role counts: 200", async () => {
    const { user } = await createUser(t.ctx);
    const token = accessTokenFor(t.ctx, user);
    await t.ctx.prisma.user.update({ where: { id: user.id }, data: { role: "ADMIN" } });
    expect((await ping(token)).status).toBe(200);
  });

  it("when the user no longer exists, then 401", async () => {
    const token = accessTokenFor(t.ctx, { id: "00000000-0000-4000-8000-000000000000", role: "ADMIN" });
    expectProblem(await ping(token), 401, "UNAUTHENTICATED");
  });
});

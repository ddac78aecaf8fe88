import type request from "supertest";
import { expect } from "vitest";

/** Asserts an RFC 9457 answer with the given status and stable code. */
export function expectProblem(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, requestId: res.headers["x-request-id"] });
}

/** The Set-Cookie lines of a response. */
export function setCookies(res: request.Response): string[] {
  return ([] as string[]).concat(res.headers["set-cookie"] ?? []);
}

/** The `refresh_token=…` pair a browser would send back, from a response's Set-Cookie. */
export function refreshCookieOf(res: request.Response): string {
  const pair = setCookies(res)
    .map((c) => c.split(";")[0]!)
    .find((c) => c.startsWith("refresh_token="));
  if (!pair) throw new Error(`no refresh_token cookie in ${res.status} answer`);
  return pair;
}

/** The body without its per-request id, to compare two answers. */
export function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  const { requestId: _requestId, ...rest } = body;
  return rest;
}

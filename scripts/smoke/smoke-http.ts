/** HTTP helpers of `npm run smoke`: one timeout per request, and a request id operators can find in the logs. */

export class CheckFailed extends Error {
  override name = "CheckFailed";
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it was JSON, else undefined. */
  json: unknown;
}

export interface SmokeHttp {
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown; form?: Record<string, string>; absolute?: boolean }): Promise<Reply>;
}

export function createSmokeHttp(baseUrl: string, runId: string, timeoutMs: number): SmokeHttp {
  let sequence = 0;
  return {
    async request(method, path, options = {}) {
      sequence += 1;
      const url = options.absolute ? path : `${baseUrl}${path}`;
      const headers: Record<string, string> = { "x-request-id": `smoke-${runId}-${sequence}`, ...options.headers };
      let body: string | undefined;
      if (options.body !== undefined) {
        headers["content-type"] ??= "application/json";
        body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      } else if (options.form) {
        headers["content-type"] = "application/x-www-form-urlencoded";
        body = new URLSearchParams(options.form).toString();
      }
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (err as Error).message;
        throw new CheckFailed(`${method} ${url}: no answer (${reason})`);
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
  };
}

/** Fails the check unless `reply` has `status`, naming what came instead. */
export function expectStatus(reply: Reply, status: number, what: string): void {
  if (reply.status !== status) throw new CheckFailed(`${what}: expected ${status}, got ${reply.status} ${reply.text.slice(0, 300)}`);
}

export function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = current && typeof current === "object" ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

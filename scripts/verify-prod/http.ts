/** A small fetch wrapper: JSON in and out, headers kept, never throws on a status. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { [key: string]: unknown };
  text: string;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON (e.g. Prometheus text): `text` has it.
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export class CheckFailed extends Error {}

/** Throws a readable failure unless `condition` holds. */
export function expectThat(condition: unknown, what: string, answer?: Answer): asserts condition {
  if (!condition) throw new CheckFailed(`${what}${answer ? ` (got ${answer.status}: ${answer.text.slice(0, 300)})` : ""}`);
}

/** Polls `probe` until it returns true, up to `timeoutMs`. */
export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CheckFailed(`${what}: not within ${timeoutMs} ms`);
}

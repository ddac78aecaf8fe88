import http from "node:http";

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  body: Record<string, unknown> | undefined;
  /** Milliseconds from sending to the end of the answer. */
  elapsedMs: number;
}

export interface Call {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: string | object;
  /** Give up (and reject) after this long; default 60 s. */
  timeoutMs?: number;
}

/**
 * One HTTP request on a connection of its own (no agent, no keep-alive), so a refused
 * connection shows as an error (`ECONNREFUSED`) and no request waits behind another.
 */
export function call(baseUrl: string, { method = "GET", path, headers = {}, body, timeoutMs = 60_000 }: Call): Promise<Reply> {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const allHeaders: Record<string, string> = { ...headers };
  if (payload !== undefined) {
    if (!Object.keys(allHeaders).some((h) => h.toLowerCase() === "content-type")) allHeaders["content-type"] = "application/json";
    allHeaders["content-length"] = String(Buffer.byteLength(payload));
  }
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: allHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: Record<string, unknown> | undefined;
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, body: parsed, elapsedMs: performance.now() - started });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${method} ${path} within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** Like `call`, but a failed connection becomes a reply with status 0 and the error code. */
export async function attempt(baseUrl: string, request: Call): Promise<Reply & { error?: string }> {
  try {
    return await call(baseUrl, request);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { status: 0, headers: {}, text: "", body: undefined, elapsedMs: 0, error: code };
  }
}

/** Runs `tasks` with at most `limit` at a time; results in input order. */
export async function inBatches<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

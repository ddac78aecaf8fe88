import http from "node:http";

export interface Answer {
  status: number;
  /** From the call to the end of the answer's body, ms (a wait for a free connection included). */
  ms: number;
  /** The answer's `Retry-After` in seconds, when it has one. */
  retryAfterS: number | undefined;
}

export interface PlainRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Sends one request on `agent`; undefined when no answer came (an error, or `timeoutMs` of silence). */
export function send(agent: http.Agent, target: URL, request: PlainRequest, timeoutMs: number): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const at = performance.now();
    const headers = { ...request.headers, ...(request.body ? { "content-length": String(Buffer.byteLength(request.body)) } : {}) };
    const req = http.request({ agent, host: target.hostname, port: target.port, method: request.method, path: request.path, headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => {
        const retryAfter = Number(res.headers["retry-after"]);
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - at, retryAfterS: Number.isFinite(retryAfter) ? retryAfter : undefined });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(undefined));
    req.end(request.body);
  });
}

/** Adds an answer's latency to the list of its status. */
export function record(byStatus: Map<number, number[]>, answer: Answer): void {
  const list = byStatus.get(answer.status) ?? [];
  list.push(answer.ms);
  byStatus.set(answer.status, list);
}

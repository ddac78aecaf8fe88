import { randomUUID } from "node:crypto";
import http from "node:http";
import autocannon from "autocannon";
import { backlogSequence, completedEventFor, signatureFor } from "./lib/events.js";
import { record, send } from "./lib/http-send.js";
import { latencies } from "./lib/latency.js";
import type { LoadRequest, LoadResult, LoadRun } from "./lib/load-spec.js";

/**
 * A load generator, in its own process so its CPU is not the server's (on 2 cores they
 * still compete, which is why every ratio is taken within one run).
 * Reads `LoadRun[]` as JSON on stdin, runs them at the same time, prints `LoadResult[]`.
 */

type Built = { method: "GET" | "POST"; path: string; headers: Record<string, string>; body?: string };

function webhook(index: number, series: number): Built {
  const payload = completedEventFor(series, index);
  return { method: "POST", path: "/webhooks/stripe", headers: webhookHeaders(payload), body: payload };
}

function requestMaker(spec: LoadRequest): { next: () => Built; exhausted: () => boolean } {
  let n = 0;
  switch (spec.kind) {
    case "webhook":
      return { next: () => webhook(spec.start + (n++ % spec.count), spec.series), exhausted: () => n > spec.count };
    case "backlog": {
      const sequence = backlogSequence(spec.distinct, spec.duplicateShare);
      return { next: () => webhook(sequence[n++ % sequence.length]!, spec.series), exhausted: () => n > sequence.length };
    }
    case "static":
      return {
        next: () => ({ method: spec.method, path: spec.path, headers: spec.headers ?? {}, ...(spec.body ? { body: spec.body } : {}) }),
        exhausted: () => false,
      };
    case "checkout":
      return {
        next: () => ({
          method: "POST",
          path: spec.path,
          headers: { authorization: `Bearer ${spec.tokens[n++ % spec.tokens.length]}`, "content-type": "application/json", "idempotency-key": randomUUID() },
          body: spec.body,
        }),
        exhausted: () => false,
      };
    case "orders":
      return {
        next() {
          const i = n++;
          const cursor = spec.cursors[i % spec.cursors.length];
          return {
            method: "GET",
            path: `/orders?limit=${spec.limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
            headers: { authorization: `Bearer ${spec.tokens[i % spec.tokens.length]}` },
          };
        },
        exhausted: () => false,
      };
  }
}

function webhookHeaders(payload: string): Record<string, string> {
  return { "content-type": "application/json; charset=utf-8", "stripe-signature": signatureFor(payload), "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" };
}

function summary(spec: LoadRun, maker: { exhausted: () => boolean }, byStatus: Map<number, number[]>, unanswered: number, durationS: number): LoadResult {
  const all = latencies([...byStatus.values()].flat());
  const answered = [...byStatus.values()].reduce((n, list) => n + list.length, 0);
  const ok = [...byStatus].filter(([code]) => code >= 200 && code < 300).reduce((n, [, list]) => n + list.length, 0);
  return {
    name: spec.name,
    throughput: ok / durationS,
    p50: all.p50,
    p99: all.p99,
    errors: unanswered + answered - ok,
    unanswered,
    ok,
    durationS,
    statusCodes: Object.fromEntries([...byStatus].map(([code, list]) => [String(code), list.length])),
    byStatus: Object.fromEntries([...byStatus].map(([code, list]) => [String(code), latencies(list)])),
    ...(maker.exhausted() ? { exhausted: true } : {}),
  };
}

/**
 * A fixed rate, evenly spaced: request i is sent at start + i/rate on a free connection (it
 * waits for one when all are busy, and that wait counts in its latency). autocannon's own
 * rate sends each second's quota at once at the start of the second, a burst, not a rate.
 * The first `warmUpS` seconds of requests are sent the same way; their answers are only
 * counted (`warmUpOk`).
 */
async function paced(spec: LoadRun & { rate: number }): Promise<LoadResult> {
  const maker = requestMaker(spec.request);
  const target = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const byStatus = new Map<number, number[]>();
  let unanswered = 0;
  let warmUpOk = 0;
  const warmUpCount = Math.round((spec.warmUpS ?? 0) * spec.rate);
  const total = warmUpCount + (spec.amount ?? Math.round(spec.durationS * spec.rate));
  if (spec.startAt !== undefined && spec.startAt > Date.now()) await new Promise((resolve) => setTimeout(resolve, spec.startAt! - Date.now()));
  let started = performance.now();
  let pending = 0;
  let drained: () => void = () => undefined;
  const allAnswered = new Promise<void>((resolve) => (drained = resolve));
  const done = () => {
    pending -= 1;
    if (pending === 0 && sent === total) drained();
  };
  let sent = 0;
  const schedule = started;
  for (; sent < total; ) {
    const wait = schedule + (sent * 1000) / spec.rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const warmUp = sent < warmUpCount;
    if (sent === warmUpCount) started = performance.now();
    pending += 1;
    sent += 1;
    void send(agent, target, maker.next(), (spec.timeoutS ?? 10) * 1000).then((answer) => {
      // A warm-up answer counts only as a success; a failure is a failure whenever it came.
      if (warmUp && answer && answer.status >= 200 && answer.status < 300) warmUpOk += 1;
      else if (answer) record(byStatus, answer);
      else unanswered += 1;
      done();
    });
  }
  if (pending > 0) await allAnswered;
  agent.destroy();
  return { ...summary(spec, maker, byStatus, unanswered, (performance.now() - started) / 1000), ...(warmUpCount ? { warmUpOk } : {}) };
}

async function run(spec: LoadRun): Promise<LoadResult> {
  if (spec.rate) return paced({ ...spec, rate: spec.rate });
  const maker = requestMaker(spec.request);
  const byStatus = new Map<number, number[]>();
  const options: autocannon.Options = {
    url: spec.url,
    connections: spec.amount ? Math.min(spec.connections, spec.amount) : spec.connections,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationS }),
    timeout: spec.timeoutS ?? 10,
    requests: [{ setupRequest: (req) => ({ ...req, ...maker.next() }) }],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err, done) => (err ? reject(err as Error) : resolve(done)));
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      const list = byStatus.get(status) ?? [];
      list.push(ms);
      byStatus.set(status, list);
    });
  });
  return summary(spec, maker, byStatus, result.errors, result.duration);
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const runs = JSON.parse(Buffer.concat(chunks).toString("utf8")) as LoadRun[];
const results = await Promise.all(runs.map(run));
process.stdout.write(`${JSON.stringify(results)}\n`);

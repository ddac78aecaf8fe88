import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { backlogSequence, completedEventFor, signatureFor } from "./lib/events.js";
import { latencies } from "./lib/latency.js";
import type { LoadRequest, LoadResult, LoadRun } from "./lib/load-spec.js";

/**
 * The load generator, in its own process so its CPU is not the server's (on 2 cores they
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

async function run(spec: LoadRun): Promise<LoadResult> {
  const maker = requestMaker(spec.request);
  const byStatus = new Map<number, number[]>();
  const options: autocannon.Options = {
    url: spec.url,
    connections: spec.amount ? Math.min(spec.connections, spec.amount) : spec.connections,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationS }),
    ...(spec.rate ? { overallRate: spec.rate } : {}),
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
  const all = latencies([...byStatus.values()].flat());
  const ok = result["2xx"];
  return {
    name: spec.name,
    throughput: ok / result.duration,
    p50: all.p50,
    p99: all.p99,
    errors: result.errors + result.non2xx,
    unanswered: result.errors,
    ok,
    durationS: result.duration,
    statusCodes: Object.fromEntries([...byStatus].map(([code, list]) => [String(code), list.length])),
    byStatus: Object.fromEntries([...byStatus].map(([code, list]) => [String(code), latencies(list)])),
    ...(maker.exhausted() ? { exhausted: true } : {}),
  };
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const runs = JSON.parse(Buffer.concat(chunks).toString("utf8")) as LoadRun[];
const results = await Promise.all(runs.map(run));
process.stdout.write(`${JSON.stringify(results)}\n`);

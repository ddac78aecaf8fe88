import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { completedEventFor, signatureFor } from "./lib/events.js";
import type { LoadRequest, LoadResult, LoadRun } from "./lib/load-spec.js";

/**
 * The load generator, in its own process so its CPU is not the app's or the baseline's
 * (on 2 cores they still compete, which is why every figure has a same-run baseline).
 * Reads `LoadRun[]` as JSON on stdin, runs them at the same time, prints `LoadResult[]`.
 */

type Built = { method: "GET" | "POST"; path: string; headers: Record<string, string>; body?: string };

function requestMaker(spec: LoadRequest): { next: () => Built; exhausted: () => boolean } {
  switch (spec.kind) {
    case "webhook": {
      let n = 0;
      return {
        next() {
          const payload = completedEventFor(spec.series, spec.start + (n++ % spec.count));
          return { method: "POST", path: "/webhooks/stripe", headers: webhookHeaders(payload), body: payload };
        },
        exhausted: () => n > spec.count,
      };
    }
    case "webhook-duplicate": {
      const payload = completedEventFor(spec.series, spec.index);
      // Signed once, as Stripe signs each delivery attempt; well inside the 300 s tolerance.
      const headers = webhookHeaders(payload);
      return { next: () => ({ method: "POST", path: "/webhooks/stripe", headers, body: payload }), exhausted: () => false };
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
          headers: { authorization: `Bearer ${spec.token}`, "content-type": "application/json", "idempotency-key": randomUUID(), ...spec.extraHeaders },
          body: spec.body,
        }),
        exhausted: () => false,
      };
    case "orders": {
      let n = 0;
      return {
        next() {
          const i = n++;
          const cursor = spec.cursors[i % spec.cursors.length];
          return {
            method: "GET",
            path: `/orders?limit=${spec.limit}${cursor ? `&cursor=${cursor}` : ""}`,
            headers: { authorization: `Bearer ${spec.tokens[i % spec.tokens.length]}` },
          };
        },
        exhausted: () => false,
      };
    }
  }
}

function webhookHeaders(payload: string): Record<string, string> {
  return { "content-type": "application/json; charset=utf-8", "stripe-signature": signatureFor(payload), "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" };
}

async function run(spec: LoadRun): Promise<LoadResult> {
  const maker = requestMaker(spec.request);
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    requests: [{ setupRequest: (req) => ({ ...req, ...maker.next() }) }],
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, v]) => [code, (v as { count: number }).count]));
  const ok = result["2xx"];
  return {
    name: spec.name,
    throughput: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    ok,
    durationS: result.duration,
    statusCodes,
    ...(maker.exhausted() ? { exhausted: true } : {}),
  };
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const runs = JSON.parse(Buffer.concat(chunks).toString("utf8")) as LoadRun[];
const results = await Promise.all(runs.map(run));
process.stdout.write(`${JSON.stringify(results)}\n`);

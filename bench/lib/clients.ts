import http from "node:http";
import { record, send } from "./http-send.js";
import { latencies } from "./latency.js";
import type { LoadResult } from "./load-spec.js";

/**
 * `clients` clients, each sending `request` again as soon as the previous answer arrived,
 * for `durationS`; a request in flight at the end is waited for (up to `timeoutS`), so
 * every request sent is either answered or counted as unanswered. A 503 or 429 with
 * `Retry-After` is retried after the seconds it names and up to one more, as a well-behaved
 * client does.
 */
export async function closedLoop(
  name: string,
  url: string,
  clients: number,
  durationS: number,
  request: { method: string; path: string; headers: Record<string, string>; body: string },
  timeoutS = 30,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const target = new URL(url);
  const byStatus = new Map<number, number[]>();
  let unanswered = 0;
  const started = performance.now();
  const end = started + durationS * 1000;
  /** One request; resolves with how long to wait before the next (a 503 or 429's Retry-After). */
  const once = async (): Promise<number> => {
    const answer = await send(agent, target, request, timeoutS * 1000);
    if (!answer) {
      unanswered += 1;
      return 0;
    }
    record(byStatus, answer);
    // Up to a second of jitter on top, as retrying clients add, so that a wave shed together
    // does not come back in lock-step.
    return (answer.status === 503 || answer.status === 429) && answer.retryAfterS ? answer.retryAfterS * 1000 + Math.random() * 1000 : 0;
  };
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const pauseMs = Math.min(await once(), end - performance.now());
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }),
  );
  agent.destroy();
  const elapsedS = (performance.now() - started) / 1000;
  const all = latencies([...byStatus.values()].flat());
  const ok = [...byStatus].filter(([code]) => code >= 200 && code < 300).reduce((n, [, list]) => n + list.length, 0);
  const answered = [...byStatus.values()].reduce((n, list) => n + list.length, 0);
  return {
    name,
    throughput: ok / elapsedS,
    p50: all.p50,
    p99: all.p99,
    errors: unanswered + answered - ok,
    unanswered,
    ok,
    durationS: elapsedS,
    statusCodes: Object.fromEntries([...byStatus].map(([code, list]) => [String(code), list.length])),
    byStatus: Object.fromEntries([...byStatus].map(([code, list]) => [String(code), latencies(list)])),
  };
}

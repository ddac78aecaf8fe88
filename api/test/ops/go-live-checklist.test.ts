import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/metrics/metrics.js";
import { readRepoFile, repoRoot } from "./repo-files.js";

const checklist = readRepoFile("GO_LIVE_CHECKLIST.md");
/** Each `- [ ]` item with its continuation lines. */
const items = checklist.split(/\n(?=- \[ \] )/).slice(1).map((chunk) => chunk.split(/\n(?!\s|$)/)[0]!);

describe("GO_LIVE_CHECKLIST.md", () => {
  it("when read, then every item says how to verify it", () => {
    expect(items.length).toBeGreaterThan(25);
    const unverified = items.filter((item) => !/Verif(y|ied)/.test(item)).map((item) => item.slice(0, 80));
    expect(unverified).toEqual([]);
  });

  it("when read, then it covers every go-live topic of the operations issue", () => {
    for (const topic of [
      "STRIPE_ALLOW_TEST_KEYS",
      "stripe-webhook",
      "TRUST_PROXY",
      "CORS_ORIGINS",
      "FRONTEND_URL",
      "TLS",
      "pg_dump",
      "Point-in-time recovery",
      "Restore drill",
      "migrate deploy",
      "Roll back by image tag",
      "cannot be rolled",
      "npm run smoke",
      "Log retention",
      "maintenance.js",
      "never logged",
    ]) {
      expect(checklist, topic).toContain(topic);
    }
  });

  it("when its alerts name metrics, then the API exports each of them", async () => {
    const exported = new Set(
      (await createMetrics({ pool: { totalCount: 0, idleCount: 0, waitingCount: 0 }, version: "x" }).registry.getMetricsAsJSON()).map((m) => m.name),
    );
    const alertRows = checklist.split("\n").map((line) => line.trim()).filter((line) => line.startsWith("| ") && line.includes("`"));
    const named = new Set(alertRows.flatMap((row) => [...row.matchAll(/\b([a-z][a-z0-9_]+)(?:_bucket|_count)?(?=\{|\[| [<>=])/g)].map((m) => m[1]!)));
    const ours = [...named].filter((name) => !["probe_success", "up", "sum", "rate", "increase", "max", "histogram_quantile"].includes(name));
    expect(ours.length).toBeGreaterThan(8);
    expect(ours.filter((name) => !exported.has(name) && !exported.has(name.replace(/_(bucket|count|sum)$/, "")))).toEqual([]);
  });

  it("when it runs a job in the image, then that script exists and is compiled into dist/", () => {
    const jobs = new Set([...checklist.matchAll(/dist\/scripts\/([a-z-]+)\.js|\bjob ([a-z-]+)/g)].map((m) => m[1] ?? m[2]!));
    expect([...jobs].sort()).toEqual(expect.arrayContaining(["maintenance", "reconcile", "seed", "stripe-webhook"]));
    for (const job of jobs) expect(existsSync(path.join(repoRoot, "api/src/scripts", `${job}.ts`)), job).toBe(true);
  });
});

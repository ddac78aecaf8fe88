import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { testEnv, setupTestApp, type TestApp } from "../helpers/app.js";
import { runTs } from "../helpers/run-script.js";
import { sample } from "./prometheus.js";
import { readRepoFile, repoRoot } from "./repo-files.js";

interface Rule {
  alert: string;
  expr: string;
  annotations?: Record<string, string>;
}
const rules = (parse(readRepoFile("ops/prometheus/alerts.yml")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

const PROMQL_WORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"]);
/** Series Prometheus makes itself for every scrape target. */
const PROMETHEUS_OWN = new Set(["up"]);

/** The metric names an expression reads: identifiers outside label matchers, grouping lists and function calls. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, "")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ");
  return [...stripped.matchAll(/([a-zA-Z_:][\w:]*)\s*(\()?/g)].filter((m) => !m[2] && !PROMQL_WORDS.has(m[1]!)).map((m) => m[1]!);
}

let t: TestApp;
beforeAll(async () => {
  t = await setupTestApp({ name: "ops-alert-rules" });
});
afterAll(() => t?.close());

describe("ops/prometheus/alerts.yml", () => {
  it("when read, then every alert links a runbook that exists under docs/runbooks/", () => {
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const rule of rules) {
      expect(rule.annotations?.runbook, rule.alert).toMatch(/^docs\/runbooks\/[a-z0-9-]+\.md$/);
      expect(existsSync(path.join(repoRoot, rule.annotations!.runbook!)), rule.annotations!.runbook).toBe(true);
    }
  });

  it("when every metric an alert reads is looked up in the API's /metrics, then each is exported there", async () => {
    const text = (await request(t.app).get("/metrics").expect(200)).text;
    const exported = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const known = (name: string) => {
      if (PROMETHEUS_OWN.has(name) || exported.has(name)) return true;
      const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
      return base !== undefined && exported.get(base) === "histogram";
    };
    const named = [...new Set(rules.flatMap((r) => metricNames(r.expr)))];
    expect(named).toContain("job_last_success_timestamp_seconds");
    expect(named.filter((n) => !known(n))).toEqual([]);
  });

  it("when npm run maintenance succeeds, then /metrics reports its last success for the staleness alert", async () => {
    const before = Date.now() / 1000;
    const run = await runTs("api/src/jobs/maintenance.ts", testEnv({ DATABASE_URL: t.databaseUrl, LOG_LEVEL: "warn" }));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const text = (await request(t.app).get("/metrics").expect(200)).text;
    const at = sample(text, "job_last_success_timestamp_seconds", { job: "maintenance" });
    expect(at).toBeGreaterThanOrEqual(Math.floor(before) - 1);
    expect(at).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  });

  it("when an order waits in pending, then /metrics reports the oldest one's age from the database", async () => {
    const user = await t.ctx.prisma.user.create({ data: { email: "alerts@example.com", passwordHash: "x" } });
    await t.ctx.prisma.order.create({
      data: { userId: user.id, status: "pending", amountTotal: 1000, currency: "eur", createdAt: new Date(Date.now() - 3 * 3600_000) },
    });
    const text = (await request(t.app).get("/metrics").expect(200)).text;
    expect(sample(text, "orders_oldest_pending_age_seconds")).toBeGreaterThan(3 * 3600 - 60);
    expect(sample(text, "refunds_oldest_pending_age_seconds")).toBe(0);
  });
});

// Debian's prometheus package ships promtool; .ci/run installs it, a laptop may not have it.
const hasPromtool = spawnSync("promtool", ["--version"]).status === 0;
if (!hasPromtool && !process.env.CI) process.stdout.write("promtool not installed: alert rule checks skipped (CI installs it)\n");

describe.runIf(hasPromtool || process.env.CI)("alert rules under promtool", () => {
  it("when checked and unit-tested, then promtool passes both", () => {
    for (const args of [["check", "rules", "ops/prometheus/alerts.yml"], ["test", "rules", "ops/prometheus/alerts.test.yml"]]) {
      const result = spawnSync("promtool", args, { cwd: repoRoot, encoding: "utf8" });
      expect(result.error).toBeUndefined();
      expect(result.status, result.stdout + result.stderr).toBe(0);
    }
  });
});

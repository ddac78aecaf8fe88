import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readRepoFile, repoRoot } from "./repo-files.js";

const checklist = readRepoFile("GO_LIVE_CHECKLIST.md");
/** Each `- [ ]` item with its continuation lines. */
const items = checklist.split(/\n(?=- \[ \] )/).slice(1).map((chunk) => chunk.split(/\n(?!\s|$)/)[0]!);

describe("GO_LIVE_CHECKLIST.md", () => {
  const [goLive, release] = checklist.split(/\n## B\. /);

  it("when read, then every item says how to verify it", () => {
    expect(items.length).toBeGreaterThan(25);
    const unverified = items.filter((item) => !/Verif(y|ied)/.test(item)).map((item) => item.slice(0, 80));
    expect(unverified).toEqual([]);
  });

  it("when read, then it covers every go-live topic of the operations work", () => {
    for (const topic of [
      "STRIPE_ALLOW_TEST_KEYS",
      "stripe-webhook",
      "TRUST_PROXY",
      "CORS_ORIGINS",
      "FRONTEND_URL",
      "TLS",
      "sslmode=verify-full",
      "rediss://",
      "Point-in-time recovery",
      "Restore drill",
      "migrate deploy",
      "Roll back by image tag",
      "npm run smoke",
      "Log retention",
      "never logged",
      "A real live payment and its refund",
      "Launch-day watch plan and contacts",
      "Memory limits and capacity",
      "secret-rotation.md",
      "ops/prometheus/alerts.yml",
      "METRICS_TOKEN",
    ]) {
      expect(goLive, topic).toContain(topic);
    }
  });

  it("when its go-live steps are read in order, then the webhook secret is made before the first start, and nothing runs in the api before it starts", () => {
    const webhook = goLive!.indexOf("--profile setup run --rm stripe-webhook");
    const start = goLive!.indexOf("docker compose up -d`");
    expect(webhook).toBeGreaterThan(0);
    expect(start).toBeGreaterThan(webhook);
    expect(goLive!.slice(0, start)).not.toContain("exec api");
  });

  it("when the per-release list is read, then it has about ten steps, takes a backup first, migrates before replacing and says what is down", () => {
    const steps = release!.split("\n").filter((line) => /^\d+\. \[ \]/.test(line));
    expect(steps.length).toBeGreaterThanOrEqual(8);
    expect(steps.length).toBeLessThanOrEqual(12);
    const at = (text: string) => steps.findIndex((s) => s.includes(text));
    expect(at("Backup first")).toBeGreaterThanOrEqual(0);
    expect(at("Backup first")).toBeLessThan(at("--profile release run --rm migrate"));
    expect(at("--profile release run --rm migrate")).toBeLessThan(at("up -d --no-deps api"));
    expect(release).toMatch(/down from .* about \d+-\d+ s/);
  });

  it("when it or the compose file runs a job in the image, then that script exists and is compiled into dist/", () => {
    const text = checklist + readRepoFile("docs/deploying.md") + readRepoFile("docker-compose.yml");
    const jobs = new Set([...text.matchAll(/dist\/jobs\/([a-z-]+)\.js|`job ([a-z-]+)/g)].map((m) => m[1] ?? m[2]!));
    expect([...jobs].sort()).toEqual(expect.arrayContaining(["maintenance", "reconcile", "seed", "stripe-webhook"]));
    for (const job of jobs) expect(existsSync(path.join(repoRoot, "api/src/jobs", `${job}.ts`)), job).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { API_MD_VARIABLES, parseEnvFile, readRepoFile } from "./repo-files.js";

const example = parseEnvFile(readRepoFile(".env.example"));
/** Every variable the config schema reads, from its source (the one place env is parsed). */
const configVariables = [...readRepoFile("api/src/config.ts").matchAll(/^\s{4}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);

const asEnv = () => Object.fromEntries([...example].map(([name, { value }]) => [name, value]));

describe(".env.example", () => {
  it("when compared with API.md's environment table, then it lists every variable", () => {
    expect(API_MD_VARIABLES.filter((v) => !example.has(v))).toEqual([]);
  });

  it("when compared with the config schema, then it lists every variable the API reads", () => {
    expect(configVariables.length).toBeGreaterThan(30);
    expect(configVariables.filter((v) => !example.has(v))).toEqual([]);
  });

  it("when read, then every variable has a comment above it", () => {
    const bare = [...example].filter(([, { comment }]) => comment.length < 10).map(([name]) => name);
    expect(bare).toEqual([]);
  });

  it("when read, then no secret has a usable value, so a copy cannot go live by accident", () => {
    for (const name of ["JWT_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "METRICS_TOKEN", "SENTRY_DSN", "ADMIN_PASSWORD"]) {
      expect(example.get(name)?.value, name).toBe("");
    }
    expect(example.get("STRIPE_ALLOW_TEST_KEYS")?.value).toBe("");
    expect(example.get("STRIPE_API_URL")?.value).toBe("");
  });

  it("when loaded as it is, then start-up refuses it and names exactly the secrets to fill in", () => {
    const loaded = loadConfig(asEnv());
    expect(loaded.ok).toBe(false);
    const named = loaded.ok ? [] : loaded.problems.map((p) => p.split(":")[0]).sort();
    expect(named).toEqual(["JWT_SECRET", "METRICS_TOKEN", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]);
  });

  it("when the secrets are filled in, then the placeholders form a valid production configuration", () => {
    const loaded = loadConfig({
      ...asEnv(),
      JWT_SECRET: "x".repeat(48),
      STRIPE_SECRET_KEY: "sk_live_placeholderForTheTest",
      STRIPE_WEBHOOK_SECRET: "whsec_placeholderForTheTest",
      METRICS_TOKEN: "m".repeat(64),
    });
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
    if (!loaded.ok) return;
    expect(loaded.config.isProduction).toBe(true);
    expect(loaded.config.http.trustProxy).toEqual(["10.0.0.2"]);
  });
});

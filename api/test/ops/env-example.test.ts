import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/platform/config.js";
import { CONTRACT_VARIABLES, parseEnvFile, readRepoFile } from "./repo-files.js";

const example = parseEnvFile(readRepoFile(".env.example"));
/** Every variable the config schema reads, from its source (the one place env is parsed). */
const configVariables = [...readRepoFile("api/src/platform/config.ts").matchAll(/^\s{4}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
/** The variables marked FILL IN: what an operator must set before the first start. */
const fillIn = [...example].filter(([, { comment, commented }]) => !commented && /FILL IN/.test(comment)).map(([name]) => name);

/** The environment Compose builds from the file: set lines only; commented ones stay unset. */
const asEnv = () => Object.fromEntries([...example].filter(([, v]) => !v.commented).map(([name, { value }]) => [name, value]));

describe(".env.example", () => {
  it("when compared with the environment contract, then it lists every variable", () => {
    expect(CONTRACT_VARIABLES.filter((v) => !example.has(v))).toEqual([]);
  });

  it("when compared with the config schema, then it lists every variable the API reads", () => {
    expect(configVariables.length).toBeGreaterThan(30);
    expect(configVariables.filter((v) => !example.has(v))).toEqual([]);
  });

  it("when read, then every variable has a comment above it", () => {
    const bare = [...example].filter(([, { comment }]) => comment.length < 10).map(([name]) => name);
    expect(bare).toEqual([]);
  });

  it("when read, then optional variables are commented out, DIRECT_DATABASE_URL among them", () => {
    const set = [...example].filter(([, v]) => !v.commented).map(([name]) => name);
    expect(set.sort()).toEqual(["NODE_ENV", ...fillIn].sort());
    expect(example.get("DIRECT_DATABASE_URL")?.commented).toBe(true);
    expect(example.get("PORT")?.commented).toBe(true);
  });

  it("when read, then the secrets to fill are marked, METRICS_TOKEN among them, with hex generators and no usable value", () => {
    for (const name of ["POSTGRES_PASSWORD", "JWT_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "METRICS_TOKEN"]) {
      expect(fillIn, name).toContain(name);
      expect(example.get(name)?.value, name).toBe("");
    }
    const text = readRepoFile(".env.example");
    expect(text).toContain("openssl rand -hex 32");
    expect(text).not.toMatch(/rand -base64/);
  });

  it("when loaded as Compose passes it, then start-up refuses it and names only secrets to fill in", () => {
    const loaded = loadConfig({ ...asEnv(), DATABASE_URL: "postgresql://checkout:x@db:5432/checkout" });
    expect(loaded.ok).toBe(false);
    const named = loaded.ok ? [] : loaded.problems.map((p) => p.split(":")[0]!);
    expect(named).toEqual(expect.arrayContaining(["JWT_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]));
    expect(named.filter((n) => !fillIn.includes(n))).toEqual([]);
  });

  it("when the marked lines are filled in, then the file forms a valid production configuration on the defaults", () => {
    const loaded = loadConfig({
      ...asEnv(),
      DATABASE_URL: "postgresql://checkout:0123abcd@db:5432/checkout",
      JWT_SECRET: "ab".repeat(32),
      STRIPE_SECRET_KEY: "sk_live_placeholderForTheTest",
      STRIPE_WEBHOOK_SECRET: "whsec_placeholderForTheTest",
      METRICS_TOKEN: "cd".repeat(32),
      POSTGRES_PASSWORD: "0123abcd",
    });
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
    if (!loaded.ok) return;
    expect(loaded.config.isProduction).toBe(true);
    expect(loaded.config.http.trustProxy).toBe(false);
    expect(loaded.config.metricsToken).toBe("cd".repeat(32));
  });
});

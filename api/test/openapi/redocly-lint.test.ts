import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/run-script.js";

describe("the OpenAPI document under Redocly's recommended rules", () => {
  it("when linted, then there is no error and no warning", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/lint-openapi.ts"], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, PATH: `${REPO_ROOT}/node_modules/.bin:${process.env.PATH}` } });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Your API description is valid/);
  }, 60_000);
});

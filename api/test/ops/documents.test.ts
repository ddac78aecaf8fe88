import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readRepoFile, repoRoot } from "./repo-files.js";

/** Every file git tracks or would add (untracked, not ignored). */
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot, encoding: "utf8" })
  .split("\n")
  .filter((f) => f && existsSync(path.join(repoRoot, f)) && !f.startsWith("api/src/generated/") && f !== "package-lock.json");
const markdown = files.filter((f) => f.endsWith(".md"));

describe("the documents", () => {
  it("when the README is measured, then it is a front door of at most 12 kB linking the depth under docs/", () => {
    expect(statSync(path.join(repoRoot, "README.md")).size).toBeLessThanOrEqual(12 * 1024);
    const readme = readRepoFile("README.md");
    for (const doc of ["docs/architecture.md", "docs/decisions/", "docs/sandbox.md", "docs/reliability.md", "docs/scaling-out.md", "docs/deploying.md", "docs/runbooks/"]) {
      expect(readme, doc).toContain(`](${doc}`);
    }
    expect(readme).toMatch(/Node\.js 20\.19/);
    expect(readme).toContain("npm run dev");
    expect(readme).toContain("npm test");
    expect(readme).toMatch(/## Dependencies/);
    expect(readme).toMatch(/## Project layout/);
  });

  it("when every relative link of every Markdown file is followed, then it reaches a file of the repository", () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = readFileSync(path.join(repoRoot, file), "utf8").replace(/```[\s\S]*?```/g, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const resolved = path.normalize(path.join(path.dirname(file), target!.split("#")[0]!));
        if (!existsSync(path.join(repoRoot, resolved))) broken.push(`${file} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("when any file of the repository is read, then none points at documents outside it", () => {
    // Built from parts, so this file does not match itself.
    const outside = new RegExp(["API" + "\\.md", "DECISIONS" + " \\d", "\\.\\./" + "shared"].join("|"));
    const pointing = files.filter((f) => !/\.(png|jpg|ico|woff2?)$/.test(f) && outside.test(readFileSync(path.join(repoRoot, f), "utf8")));
    expect(pointing).toEqual([]);
  });
});

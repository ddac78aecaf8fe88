/**
 * Moves files to the layout in moves.json and keeps every reference to them working:
 *
 *   npx tsx tools/layout/apply.ts [--dry-run] [--strict]
 *
 * 1. `git mv` every existing file whose path (or folder) is a move source; sources that are
 *    absent are skipped, so it runs again on a tree that is already (partly) moved, and files
 *    other branches added inside a moved folder go with it.
 * 2. Relative specifiers in code (imports, exports, import(), vi.mock, require,
 *    new URL(…, import.meta.url), path.join(import.meta.dirname, …)) and relative Markdown
 *    links are resolved against the tree before the move and respelt from the file's new place.
 * 3. The plain replacements of moves.json, then repository-relative paths written in any text
 *    file (package.json, tsconfig, Dockerfile, docs, comments, test scripts) are moved.
 *    Files under `frozen` (applied migrations, whose checksums the migration runner
 *    verifies) are never edited; a mention of a moved path there is reported instead.
 * 4. Checks the result: every relative specifier resolves, folders meant to be emptied are
 *    empty, api/src holds only the composition root beside its folders, the layering rules
 *    hold, no text names a folder the moves emptied. Exit 1 on an unresolved specifier or
 *    a conflict (and on anything reported, with --strict).
 *
 * It refuses to run on uncommitted changes, so what it did is a diff of its own.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { mapPath, matchesGlob, resolveModule, walkTree, type Move, type Tree } from "./paths.js";
import { CODE_FILE, moduleSpecs, rewriteCode, rewriteMarkdownLinks, rewriteRepoPaths, stalePaths, type FileContext, type Problem } from "./rewrite.js";

interface Replacement {
  files: string[];
  from: string;
  to: string;
}
interface Rule {
  files: string;
  mustNotImport: string[];
}
interface Layout {
  moves: Move[];
  replacements: Replacement[];
  keep: string[];
  frozen: string[];
  expectEmpty: string[];
  topLevelFiles: Record<string, string[]>;
  rules: Rule[];
}

const root = path.resolve(import.meta.dirname, "..", "..");
const self = path.posix.relative(root, import.meta.dirname);
const args = new Set(process.argv.slice(2));
const dryRun = args.has("--dry-run");
const say = (line: string) => process.stdout.write(`${line}\n`);

const layout = JSON.parse(readFileSync(path.join(import.meta.dirname, "moves.json"), "utf8")) as Layout;
for (const a of layout.moves) {
  for (const b of layout.moves) {
    if (a.to === b.from || a.to.startsWith(`${b.from}/`)) throw new Error(`moves.json: ${a.from} → ${a.to} lands inside the source ${b.from}`);
  }
}

if (!dryRun && execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" }).trim()) {
  say("The working tree has uncommitted changes: commit or stash them first, so the run's result is a diff of its own.");
  process.exit(1);
}

const oldTree = walkTree(root, layout.keep);
const tracked = new Set(execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter(Boolean));
const conflicts: string[] = [];
const plan = new Map<string, string>();
for (const file of [...oldTree.files].sort()) {
  if (file.startsWith(`${self}/`)) continue;
  const target = mapPath(layout.moves, file);
  if (target === file) continue;
  if (oldTree.files.has(target)) conflicts.push(`${file} → ${target}: the target exists`);
  else plan.set(file, target);
}
const newPathOf = (file: string) => plan.get(file) ?? file;
const plannedTree: Tree = { files: new Set([...oldTree.files].map(newPathOf)), dirs: new Set([""]), kept: layout.keep };
for (const file of plannedTree.files) for (let d = path.posix.dirname(file); d !== "."; d = path.posix.dirname(d)) plannedTree.dirs.add(d);

// Text of every file, rewritten in memory under its new path.
const isText = (buf: Buffer) => buf.length < 2_000_000 && !buf.subarray(0, 8000).includes(0);
const roots = [...new Set(layout.moves.map((move) => move.from.split("/")[0]!))];
const unresolved: Problem[] = [];
const changed = new Map<string, string>();
const stale: string[] = [];
const replaced = new Map<Replacement, number>();
for (const oldPath of [...oldTree.files].sort()) {
  if (oldPath.startsWith(`${self}/`) || oldPath.endsWith("package-lock.json")) continue;
  const buf = readFileSync(path.join(root, oldPath));
  if (!isText(buf)) continue;
  const before = buf.toString("utf8");
  const newPath = newPathOf(oldPath);
  const ctx: FileContext = { oldPath, newPath, oldTree, moves: layout.moves, unresolved };
  let text = before;
  if (CODE_FILE.test(oldPath)) text = rewriteCode(ctx, text);
  if (oldPath.endsWith(".md")) text = rewriteMarkdownLinks(ctx, text);
  for (const r of layout.replacements) {
    if (!r.files.some((glob) => matchesGlob(newPath, glob)) || !text.includes(r.from)) continue;
    // A replacement that only adds text is done once: its result still contains its source.
    if (r.to.includes(r.from) && text.includes(r.to)) continue;
    text = text.split(r.from).join(r.to);
    replaced.set(r, (replaced.get(r) ?? 0) + 1);
  }
  text = rewriteRepoPaths(ctx, text, roots);
  for (const mention of stalePaths(text, roots, oldTree, plannedTree)) stale.push(`${newPath} mentions ${mention}, a folder the moves emptied: reword it`);
  // Applied migrations are checksummed: a changed byte makes the migration runner refuse to run.
  if (text !== before && layout.frozen.some((dir) => newPath.startsWith(`${dir}/`))) stale.push(`${newPath} mentions a moved path; left as it is (frozen): reword it in a new file if needed`);
  else if (text !== before) changed.set(newPath, text);
}

if (conflicts.length) {
  for (const conflict of conflicts) say(`CONFLICT ${conflict}`);
  say("Nothing moved.");
  process.exit(1);
}
say(`${dryRun ? "Would move" : "Moving"} ${plan.size} files:`);
for (const move of layout.moves) {
  const count = [...plan.keys()].filter((file) => mapPath(layout.moves, file) !== file && (file === move.from || file.startsWith(`${move.from}/`)) && mapPath([move], file) === plan.get(file)).length;
  say(`  ${move.from} → ${move.to}: ${count ? `${count} file${count > 1 ? "s" : ""}` : "nothing there (absent or already moved)"}`);
}
if (!dryRun) {
  for (const [from, to] of plan) {
    mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
    if (tracked.has(from)) execFileSync("git", ["mv", "--", from, to], { cwd: root });
    else renameSync(path.join(root, from), path.join(root, to));
    removeEmptyFolders(path.dirname(from));
  }
  for (const [file, text] of changed) writeFileSync(path.join(root, file), text);
  const movedTracked = new Set([...plan].filter(([from]) => tracked.has(from)).map(([, to]) => to));
  const stage = [...changed.keys()].filter((file) => tracked.has(file) || movedTracked.has(file));
  if (stage.length) execFileSync("git", ["add", "--", ...stage], { cwd: root });
}
say(`${dryRun ? "Would rewrite" : "Rewrote"} ${changed.size} files: ${[...changed.keys()].sort().join(", ")}`);
for (const r of layout.replacements) {
  if (!replaced.has(r)) say(`  replacement not applied (text not found in ${r.files.join(", ")}): ${JSON.stringify(r.from)}`);
}

function removeEmptyFolders(rel: string) {
  for (let dir = rel; dir && dir !== "."; dir = path.posix.dirname(dir)) {
    const abs = path.join(root, dir);
    if (!existsSync(abs) || readdirSync(abs).length > 0) return;
    rmdirSync(abs);
  }
}

// Checks on the result (on the tree as it would be after the run).
const reported: string[] = [...stale];
const newTree = dryRun ? plannedTree : walkTree(root, layout.keep);
for (const file of [...newTree.files].sort()) {
  if (!CODE_FILE.test(file) || file.startsWith(`${self}/`)) continue;
  const text = changed.get(file) ?? readFileSync(path.join(root, dryRun ? [...plan].find(([, to]) => to === file)?.[0] ?? file : file), "utf8");
  for (const spec of moduleSpecs(text)) {
    const dir = path.posix.dirname(file) === "." ? "" : path.posix.dirname(file);
    const found = resolveModule(newTree, dir, spec);
    if (!found) {
      if (!unresolved.some((p) => p.file === file && p.spec === spec)) unresolved.push({ file, spec });
      continue;
    }
    for (const rule of layout.rules) {
      if (!matchesGlob(file, rule.files)) continue;
      const banned = rule.mustNotImport.find((prefix) => found.target.startsWith(prefix));
      if (banned) reported.push(`${file} imports ${found.target} (files ${rule.files} must not import ${banned}…)`);
    }
  }
}
for (const folder of layout.expectEmpty) {
  const left = [...newTree.files].filter((file) => file.startsWith(`${folder}/`));
  if (left.length) reported.push(`${folder}/ still holds ${left.join(", ")}: add a move for ${left.length > 1 ? "them" : "it"} to moves.json`);
}
for (const [folder, allowed] of Object.entries(layout.topLevelFiles)) {
  const extra = [...newTree.files].filter((file) => path.posix.dirname(file) === folder && !allowed.includes(path.posix.basename(file)));
  if (extra.length) reported.push(`${folder}/ holds ${extra.join(", ")} beside ${allowed.join(", ")}: give ${extra.length > 1 ? "them" : "it"} a folder in moves.json`);
}

for (const p of unresolved) say(`UNRESOLVED ${p.file}: ${p.spec}`);
for (const line of reported) say(`CHECK ${line}`);
if (unresolved.length === 0 && reported.length === 0) say("Every relative specifier resolves; the layout checks pass.");
process.exitCode = unresolved.length || (args.has("--strict") && reported.length) ? 1 : 0;

import { readdirSync, statSync } from "node:fs";
import path from "node:path";

/** Folders never walked: dependencies, build output, generated code and local state. */
const SKIPPED = new Set([".git", "node_modules", "dist", "coverage", ".dev-data", ".data", "test-results"]);
const SKIPPED_PATHS = new Set(["bench/results"]);

export interface Move {
  from: string;
  to: string;
}

/** Every file and folder of the working tree (repository-relative, `/`-separated). */
export interface Tree {
  files: Set<string>;
  dirs: Set<string>;
  /** Folders taken as they are, present or not (generated code): never walked, moved or rewritten. */
  kept: string[];
}

export const isKept = (tree: Tree, rel: string) => tree.kept.some((dir) => rel === dir || rel.startsWith(`${dir}/`));

export function walkTree(root: string, kept: string[]): Tree {
  const files = new Set<string>();
  const dirs = new Set<string>([""]);
  const visit = (rel: string) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (SKIPPED.has(entry.name) || SKIPPED_PATHS.has(child) || kept.includes(child)) continue;
        dirs.add(child);
        visit(child);
      } else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path.join(root, child)).isFile())) {
        files.add(child);
      }
    }
  };
  visit("");
  return { files, dirs, kept };
}

/** Applies the most specific move whose source is the path itself or one of its folders. */
export function mapPath(moves: readonly Move[], rel: string): string {
  let best: Move | undefined;
  for (const move of moves) {
    if ((rel === move.from || rel.startsWith(`${move.from}/`)) && (!best || move.from.length > best.from.length)) best = move;
  }
  return best ? best.to + rel.slice(best.from.length) : rel;
}

/** `path.posix.normalize` of a repository-relative join; null when it leaves the repository. */
export function joinRel(dir: string, spec: string): string | null {
  const joined = path.posix.normalize(path.posix.join(dir || ".", spec));
  if (joined === "..") return null;
  if (joined.startsWith("../")) return null;
  return joined === "." ? "" : joined.replace(/\/$/, "");
}

/** A relative specifier from `fromDir` to `target`, always starting with `./` or `../`. */
export function relSpec(fromDir: string, target: string): string {
  const rel = path.posix.relative(fromDir || ".", target || ".");
  if (rel === "") return ".";
  return rel.startsWith("../") || rel === ".." ? rel : `./${rel}`;
}

export type Resolution = { target: string; encode: (file: string) => string };

/**
 * Resolves a relative module specifier the way TypeScript's NodeNext resolution and tsx do:
 * `./x.js` may name `x.ts`, a bare folder may name its `index`. `encode` turns the (moved)
 * target back into a specifier of the same shape.
 */
export function resolveModule(tree: Tree, fromDir: string, spec: string): Resolution | null {
  const base = joinRel(fromDir, spec);
  if (base === null) return null;
  const same = (file: string) => file;
  const swaps: [string, string][] = [[".js", ".ts"], [".mjs", ".mts"], [".cjs", ".cts"], [".jsx", ".tsx"]];
  if (tree.files.has(base)) return { target: base, encode: same };
  for (const [js, ts] of swaps) {
    if (base.endsWith(js) && tree.files.has(base.slice(0, -js.length) + ts)) {
      return { target: base.slice(0, -js.length) + ts, encode: (file) => file.slice(0, -ts.length) + js };
    }
  }
  for (const ext of [".ts", ".tsx", ".js", ".mjs"]) {
    if (tree.files.has(base + ext)) return { target: base + ext, encode: (file) => file.slice(0, -ext.length) };
  }
  for (const index of ["index.ts", "index.js"]) {
    const file = base ? `${base}/${index}` : index;
    if (tree.files.has(file)) return { target: file, encode: (moved) => path.posix.dirname(moved) };
  }
  if (tree.dirs.has(base) || isKept(tree, base)) return { target: base, encode: same };
  return null;
}

/** Resolves a plain relative path (a file or a folder, no extension guessing). */
export function resolvePath(tree: Tree, fromDir: string, spec: string): string | null {
  const base = joinRel(fromDir, spec);
  if (base === null) return null;
  return tree.files.has(base) || tree.dirs.has(base) ? base : null;
}

/** Whether a repository path matches a glob (`*` within a folder, `**` across folders). */
export function matchesGlob(file: string, glob: string): boolean {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (glob.startsWith("**/", i)) {
      source += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      source += ".*";
      i += 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`).test(file);
}

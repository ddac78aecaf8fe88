import path from "node:path";
import { isKept, joinRel, mapPath, relSpec, resolveModule, resolvePath, type Move, type Tree } from "./paths.js";

export const CODE_FILE = /\.(ts|mts|cts|tsx|js|mjs|cjs)$/;

/** import/export … from, side-effect and dynamic imports, require, vi.mock and friends. */
const MODULE_SPEC =
  /(\bfrom\s*|\bimport\s*|\bimport\s*\(\s*|\brequire(?:\.resolve)?\s*\(\s*|\bvi\.(?:mock|doMock|unmock|doUnmock|importActual|importMock)\s*\(\s*|\bimport\.meta\.resolve\s*\(\s*)(["'])(\.{1,2}(?:\/[^"'\n]*)?)\2/g;
/** new URL("./x", import.meta.url) */
const URL_SPEC = /(\bnew\s+URL\s*\(\s*)(["'])(\.{1,2}(?:\/[^"'\n]*)?)\2(?=\s*,\s*import\.meta\.url)/g;
/** path.join/resolve(<this file's folder>, "..", "x") with literal segments. */
const PATH_CALL =
  /(\bpath\.(?:join|resolve)\(\s*(?:import\.meta\.dirname|__dirname|path\.dirname\(\s*fileURLToPath\(\s*import\.meta\.url\s*\)\s*\)|fileURLToPath\(\s*new URL\(\s*["']\.\/?["']\s*,\s*import\.meta\.url\s*\)\s*\)))((?:\s*,\s*(["'])[^"'\n]*\3)+)/g;
/** Relative Markdown links. */
const MD_LINK = /(\]\()(\.{1,2}\/[^)\s#]*)/g;

export interface Problem {
  file: string;
  spec: string;
}

export interface FileContext {
  oldPath: string;
  newPath: string;
  oldTree: Tree;
  moves: readonly Move[];
  unresolved: Problem[];
}

const dirOf = (file: string) => (path.posix.dirname(file) === "." ? "" : path.posix.dirname(file));

/** The same file or folder, named from the new location of the file that mentions it. */
function respell(ctx: FileContext, original: string, newTarget: string): string {
  const next = relSpec(dirOf(ctx.newPath), newTarget);
  const before = joinRel(dirOf(ctx.newPath), original);
  return before === joinRel(dirOf(ctx.newPath), next) ? original : next;
}

export function rewriteCode(ctx: FileContext, text: string): string {
  const oldDir = dirOf(ctx.oldPath);
  let out = text.replace(MODULE_SPEC, (all, lead: string, quote: string, spec: string) => {
    const found = resolveModule(ctx.oldTree, oldDir, spec);
    if (!found) {
      ctx.unresolved.push({ file: ctx.newPath, spec });
      return all;
    }
    return lead + quote + respell(ctx, spec, found.encode(mapPath(ctx.moves, found.target))) + quote;
  });
  out = out.replace(URL_SPEC, (all, lead: string, quote: string, spec: string) => {
    const target = resolvePath(ctx.oldTree, oldDir, spec);
    if (target === null) {
      ctx.unresolved.push({ file: ctx.newPath, spec: `new URL(${spec})` });
      return all;
    }
    return lead + quote + respell(ctx, spec, mapPath(ctx.moves, target)) + quote;
  });
  out = out.replace(PATH_CALL, (all, head: string, args: string) => {
    const literals = [...args.matchAll(/(["'])([^"'\n]*)\1/g)];
    const quote = literals[0]![1]!;
    const segments = literals.map((m) => m[2]!);
    const joined = segments.join("/");
    const target = joinRel(oldDir, joined);
    if (target === null) {
      ctx.unresolved.push({ file: ctx.newPath, spec: `path(${segments.join(", ")})` });
      return all;
    }
    const moved = mapExisting(ctx, target);
    const rel = path.posix.relative(dirOf(ctx.newPath) || ".", moved) || ".";
    if (joinRel(dirOf(ctx.newPath), rel) === joinRel(dirOf(ctx.newPath), joined)) return all;
    const parts = segments.length === 1 ? [rel] : rel.split("/");
    return head + parts.map((part) => `, ${quote}${part}${quote}`).join("");
  });
  return out;
}

/** Maps the longest existing prefix of a path, keeping what follows (files made at run time). */
function mapExisting(ctx: FileContext, target: string): string {
  const segments = target ? target.split("/") : [];
  for (let n = segments.length; n >= 0; n--) {
    const prefix = segments.slice(0, n).join("/");
    if (n === 0 || ctx.oldTree.files.has(prefix) || ctx.oldTree.dirs.has(prefix)) {
      const mapped = mapPath(ctx.moves, prefix);
      const rest = segments.slice(n).join("/");
      return [mapped, rest].filter(Boolean).join("/");
    }
  }
  return target;
}

export function rewriteMarkdownLinks(ctx: FileContext, text: string): string {
  const oldDir = dirOf(ctx.oldPath);
  return text.replace(MD_LINK, (all, lead: string, spec: string) => {
    const target = resolvePath(ctx.oldTree, oldDir, spec.replace(/\/$/, ""));
    if (target === null) {
      ctx.unresolved.push({ file: ctx.newPath, spec: `link ${spec}` });
      return all;
    }
    return lead + respell(ctx, spec, mapPath(ctx.moves, target));
  });
}

/**
 * Repository-relative paths written out in text (package.json scripts, Dockerfile, docs,
 * comments, `runTs("api/src/…")`): the longest prefix that names an existing file or folder
 * is moved, what follows (a glob, a file made at run time) is kept.
 */
export function rewriteRepoPaths(ctx: FileContext, text: string, roots: readonly string[]): string {
  return text.replace(repoPathToken(roots), (all, dot: string | undefined, found: string) => {
    const segments = found.split("/");
    for (let n = segments.length; n >= 1; n--) {
      const prefix = segments.slice(0, n).join("/");
      if (!ctx.oldTree.files.has(prefix) && !ctx.oldTree.dirs.has(prefix)) continue;
      const mapped = mapPath(ctx.moves, prefix);
      if (mapped === prefix) return all;
      return (dot ?? "") + [mapped, ...segments.slice(n)].join("/");
    }
    return all;
  });
}

function repoPathToken(roots: readonly string[]): RegExp {
  const alternatives = roots.map((root) => root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  return new RegExp(`(?<![\\w@.\\/-])(\\.\\/)?((?:${alternatives})\\/[\\w.\\-\\/*]*[\\w*])`, "g");
}

/**
 * Repository paths in text that name a folder which existed before the run and is gone after
 * it (its files went to several places): a person has to reword those.
 */
export function stalePaths(text: string, roots: readonly string[], before: Tree, after: Tree): string[] {
  const stale: string[] = [];
  for (const match of text.matchAll(repoPathToken(roots))) {
    const segments = match[2]!.split("/");
    for (let n = segments.length; n >= 1; n--) {
      const prefix = segments.slice(0, n).join("/");
      if (after.files.has(prefix) || after.dirs.has(prefix) || isKept(after, prefix)) break;
      if (before.files.has(prefix) || before.dirs.has(prefix)) {
        stale.push(match[2]!);
        break;
      }
    }
  }
  return stale;
}

/** Every relative module specifier of a file, for the check after the run. */
export function moduleSpecs(text: string): string[] {
  return [...text.matchAll(MODULE_SPEC)].map((m) => m[3]!);
}

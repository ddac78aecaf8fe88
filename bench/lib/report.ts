import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./processes.js";

/** One line of the table. `pass` is null for rows that only inform (no target). */
export interface Row {
  scenario: string;
  value: number;
  unit: string;
  p50?: number;
  p99?: number;
  errors?: number;
  baseline?: { label: string; value: number; unit: string };
  ratio?: number;
  target: string;
  pass: boolean | null;
  /** Why a row failed, or what a check found. */
  notes?: string[];
  /**
   * Set when something other than speed went wrong: a correctness check (ledger rows, paid
   * orders, error answers, runtime flags) or a crash. `--quick` (CI) fails on these only.
   */
  broken?: string;
}

export interface Plan {
  name: string;
  sql: string;
  plan: string;
}

export interface BenchReport {
  mode: "full" | "quick";
  startedAt: string;
  durationS: number;
  commit: string;
  dirty: boolean;
  cpus: number;
  cpuModel: string;
  node: string;
  database: string;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  rows: Row[];
  plans: Plan[];
  notes: string[];
}

export function gitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return { commit, dirty };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}

export function machine() {
  return { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? "unknown", node: process.version };
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? "—" : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function cells(row: Row, quick: boolean): string[] {
  const baseline = row.baseline ? `${fmt(row.baseline.value)} ${row.baseline.unit} (${row.baseline.label})` : "—";
  // A quick run judges correctness only; its timing is shown, not judged.
  const pass = row.broken ? "BROKEN" : quick ? "correct" : row.pass === null ? "info" : row.pass ? "PASS" : "FAIL";
  return [
    row.scenario,
    `${fmt(row.value)} ${row.unit}`,
    row.p50 === undefined ? "—" : `${fmt(row.p50)} ms`,
    row.p99 === undefined ? "—" : `${fmt(row.p99)} ms`,
    row.errors === undefined ? "—" : fmt(row.errors),
    baseline,
    row.ratio === undefined ? "—" : `${fmt(row.ratio * 100)} %`,
    row.target,
    pass,
  ];
}

const HEADER = ["scenario", "throughput", "p50", "p99", "errors", "same-run baseline", "ratio", "target", "result"];

/** The table as Markdown (it reads fine in a terminal and pastes into bench/README.md). */
export function formatTable(rows: Row[], quick = false): string {
  const table = [HEADER, ...rows.map((r) => cells(r, quick))];
  const widths = HEADER.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(HEADER), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...table.slice(1).map(line)].join("\n");
}

export function writeReport(report: BenchReport): string {
  const dir = path.join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${report.mode}-${report.startedAt.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(dir, `latest-${report.mode}.json`), `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

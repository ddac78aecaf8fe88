import { readFileSync } from "node:fs";

/**
 * `tsx bench/profile-summary.ts <file.cpuprofile> [top]`: where a `--cpu-prof` profile of the
 * API spent its time, as self time per function and per package, so a finding can be
 * stated in numbers (see bench/README.md, "Profiling").
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]\n");
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function packageOf(url: string): string {
  if (!url) return "(native/V8)";
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith("node:")) return "node:internal";
  if (url.includes("/dist/")) return "api (dist)";
  return url.replace(/^file:\/\//, "");
}

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, us] of selfUs) {
  const frame = byId.get(id)!.callFrame;
  const key = `${frame.functionName || "(anonymous)"}  ${frame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/dist\//, "dist/")}:${frame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const pkg = frame.url ? packageOf(frame.url) : frame.functionName || "(native)";
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
}

// Inclusive time of the API's own functions (dist/), to see which step of a request costs what.
const inclusive = new Map<number, number>();
const totalOf = (node: ProfileNode): number => {
  const known = inclusive.get(node.id);
  if (known !== undefined) return known;
  const sum = (selfUs.get(node.id) ?? 0) + (node.children ?? []).reduce((acc, c) => acc + totalOf(byId.get(c)!), 0);
  inclusive.set(node.id, sum);
  return sum;
};
const apiInclusive = new Map<string, number>();
for (const node of profile.nodes) {
  const frame = node.callFrame;
  if (!frame.url.includes("/dist/") || frame.url.includes("node_modules")) continue;
  const key = `${frame.functionName || "(anonymous)"}  ${frame.url.replace(/^.*\/dist\//, "dist/")}:${frame.lineNumber + 1}`;
  apiInclusive.set(key, (apiInclusive.get(key) ?? 0) + totalOf(node));
}

const idle = byPackage.get("(idle)") ?? 0;
process.stdout.write(`busy ${((total - idle) / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s; percentages are of busy time\n`);
const pct = (us: number) => `${((us / (total - idle)) * 100).toFixed(1).padStart(5)} %`;
const print = (title: string, map: Map<string, number>, n: number) => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`${pct(us)}  ${key}\n`);
};
print("self time by package", byPackage, 25);
print("self time by function", byFunction, top);
print("inclusive time of the API's functions (nested calls counted in each)", apiInclusive, top);

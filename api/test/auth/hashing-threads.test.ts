import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bcryptCompare, bcryptHash } from "../../src/auth/hashing-threads.js";

/** Nice value of each thread of this process (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceValues(): Map<string, number> {
  const values = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    values.set(tid, Number(fields[16]));
  }
  return values;
}

describe("bcrypt on hashing threads", () => {
  it("when a hash is made and checked, then it round-trips and a wrong password does not match", async () => {
    const hash = await bcryptHash("correct horse", 4);
    expect(hash).toMatch(/^\$2b\$04\$/);
    await expect(bcryptCompare("correct horse", hash)).resolves.toBe(true);
    await expect(bcryptCompare("wrong horse", hash)).resolves.toBe(false);
  });

  it("when a hash is not a bcrypt hash, then the check fails with an error instead of hanging", async () => {
    await expect(bcryptHash("x", 99)).rejects.toThrow();
    await expect(bcryptCompare("x", "not a hash")).resolves.toBe(false);
  });

  it.runIf(process.platform === "linux")("when hashing runs on Linux, then its thread has nice 10 and the event loop's thread keeps its priority", async () => {
    await bcryptHash("warm", 4);
    const nice = niceValues();
    expect(nice.get(String(process.pid))).toBe(0);
    expect([...nice.values()].filter((n) => n === 10).length).toBeGreaterThanOrEqual(1);
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bcryptCompare, bcryptHash } from "../../src/auth/hashing-threads.js";

/** Nice value and scheduling policy of each thread of this process (/proc/<pid>/task/<tid>/stat). */
function threadPriorities(): Map<string, { nice: number; policy: number }> {
  const values = new Map<string, { nice: number; policy: number }>();
  for (const tid of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    // Fields after the command name start at the state (field 3): nice is field 19, policy 41.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    values.set(tid, { nice: Number(fields[16]), policy: Number(fields[38]) });
  }
  return values;
}
const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

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

  it.runIf(process.platform === "linux")("when hashing runs on Linux, then its thread is SCHED_IDLE at nice 10 and the event loop's thread keeps its priority", async () => {
    await bcryptHash("warm", 4);
    const threads = threadPriorities();
    expect(threads.get(String(process.pid))).toEqual({ nice: 0, policy: SCHED_OTHER });
    expect([...threads.values()].filter((t) => t.policy === SCHED_IDLE && t.nice === 10).length).toBeGreaterThanOrEqual(1);
  });
});

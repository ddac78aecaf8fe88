import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * bcrypt on worker threads of the lowest CPU priority. A password check is seconds-tolerant
 * work; webhooks, checkouts and health checks are not. On libuv's pool the hashes compete
 * with the event loop and PostgreSQL for the cores as equals, so a login wave slows every
 * request. On Linux each thread asks for SCHED_IDLE (`chrt --idle`, util-linux): the
 * scheduler counts a core that runs only such threads as free and preempts them as soon as
 * other work wakes up, so the event loop never waits behind a hash. A lower nice value
 * alone does not do that: the hash keeps the core until the scheduler's next tick. Where
 * `chrt` is missing or refused, the thread stays at nice 10. Elsewhere the threads run at
 * normal priority. Threads start on first use and keep the process alive only while they
 * have a job.
 */
const NICE = 10;
const THREADS = Math.max(1, availableParallelism() - 1);

// The worker is plain CommonJS given as source, so it runs the same from `dist/` and from
// the TypeScript sources under the test runner; it loads the bcrypt this module resolves.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const bcrypt = require(workerData.bcryptPath);
if (process.platform === "linux") {
  require("node:os").setPriority(workerData.nice);
  try {
    // This thread's id, from /proc/thread-self -> <pid>/task/<tid>.
    const tid = require("node:fs").readlinkSync("/proc/thread-self").split("/").pop();
    require("node:child_process").execFileSync("chrt", ["--idle", "-p", "0", tid], { stdio: "ignore", timeout: 5000 });
  } catch {
    // Stays at the nice value set above.
  }
}
parentPort.on("message", (job) => {
  try {
    const result = job.op === "hash" ? bcrypt.hashSync(job.data, job.cost) : bcrypt.compareSync(job.data, job.hash);
    parentPort.postMessage({ id: job.id, result });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
  }
});
`;

type Job = { op: "hash"; data: string; cost: number } | { op: "compare"; data: string; hash: string };
interface Pending {
  job: Job;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}
interface Thread {
  worker: Worker;
  current?: Pending & { id: number };
}

const bcryptPath = createRequire(import.meta.url).resolve("bcrypt");
const threads: Thread[] = [];
const waiting: Pending[] = [];
let nextId = 1;

function spawn(): Thread {
  const thread: Thread = { worker: new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath, nice: NICE } }) };
  thread.worker.unref();
  thread.worker.on("message", (answer: { id: number; result?: unknown; error?: string }) => {
    const done = thread.current;
    if (!done || done.id !== answer.id) return;
    finish(thread);
    if (answer.error === undefined) done.resolve(answer.result);
    else done.reject(new Error(answer.error));
  });
  // A thread that died fails its job and is replaced on the next one.
  const retire = (err: Error) => {
    threads.splice(threads.indexOf(thread), 1);
    const done = thread.current;
    thread.current = undefined;
    done?.reject(err);
    dispatch();
  };
  thread.worker.on("error", retire);
  thread.worker.on("exit", (code) => {
    if (threads.includes(thread)) retire(new Error(`password hashing thread exited with code ${code}`));
  });
  threads.push(thread);
  return thread;
}

function finish(thread: Thread): void {
  thread.current = undefined;
  thread.worker.unref();
  dispatch();
}

function dispatch(): void {
  while (waiting.length) {
    const thread = threads.find((t) => !t.current) ?? (threads.length < THREADS ? spawn() : undefined);
    if (!thread) return;
    const next = waiting.shift()!;
    thread.current = { ...next, id: nextId++ };
    thread.worker.ref();
    thread.worker.postMessage({ ...next.job, id: thread.current.id });
  }
}

function run<T>(job: Job): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    waiting.push({ job, resolve: resolve as (value: unknown) => void, reject });
    dispatch();
  });
}

export const bcryptHash = (data: string, cost: number): Promise<string> => run({ op: "hash", data, cost });
export const bcryptCompare = (data: string, hash: string): Promise<boolean> => run({ op: "compare", data, hash });

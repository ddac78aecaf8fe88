import { createHash, randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import bcrypt from "bcrypt";
import { AppError } from "../platform/errors.js";
import { bcryptCompare, bcryptHash } from "./hashing-threads.js";

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Canonical form of a password: Unicode NFC, so the same text typed on two systems
 * (precomposed or combining accents) is the same password.
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFC");
}

/** Length in characters (code points), as a person counts them, not UTF-16 units. */
export function passwordLength(password: string): number {
  return [...normalizePassword(password)].length;
}

/*
 * bcrypt reads at most 72 bytes and silently ignores the rest, so a 100-character password
 * would only count up to its 72nd byte. We hash SHA-256(password) instead: 44 base64
 * characters, every input byte significant, and no NUL byte for bcrypt to stop at.
 */
function prehash(password: string): string {
  return createHash("sha256").update(normalizePassword(password), "utf8").digest("base64");
}

/** Refused at once when the queue is full: a client should come back after this long. */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 2;

export interface HashQueueOptions {
  /** Jobs computing at once (hashing-threads.ts has as many threads): one core is left to the event loop. */
  concurrency: number;
  /** Jobs allowed to wait beyond those running; Infinity for command-line tools. */
  queueLimit: number;
}

export interface HashQueue {
  <T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** True when a new job would be refused. */
  readonly full: boolean;
  /**
   * Takes a place now, for a caller with other work to do before its job (a login reads the
   * account and counts the attempt first): refused at once when full, so a request that is
   * shed has done nothing yet, and one that got a place is not refused later.
   */
  admit(): Admission;
}

/** A place taken in the queue: one job may use it; `cancel` gives an unused place back. */
export interface Admission {
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  cancel(): void;
}

/**
 * Runs at most `concurrency` jobs at once, the others in arrival order. Beyond `queueLimit`
 * waiting jobs a new one is refused at once (503 with Retry-After), so a login wave cannot
 * queue requests past the load balancer's timeout. A waiting job whose `signal` fired (its
 * client has gone) is dropped when its turn comes instead of spending a core on nobody.
 */
export function hashQueue(options: HashQueueOptions): HashQueue {
  let running = 0;
  /** Places taken by `admit` whose job has not been handed in yet. */
  let reserved = 0;
  const waiting: { start: () => void; signal?: AbortSignal }[] = [];
  const release = () => {
    // A finishing job hands its slot straight to the first waiter whose client is still there.
    let next = waiting.shift();
    while (next?.signal?.aborted) next = waiting.shift();
    if (next) next.start();
    else running -= 1;
  };
  const isFull = () => running + waiting.length + reserved >= options.concurrency + options.queueLimit;
  const enter = async <T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    if (signal?.aborted) throw clientGone();
    if (running < options.concurrency) running += 1;
    else {
      await new Promise<void>((resolve, reject) => {
        const entry = { start: resolve, signal };
        waiting.push(entry);
        // Leave the line at once: the slot count is unchanged, since this job never started.
        signal?.addEventListener("abort", () => {
          const at = waiting.indexOf(entry);
          if (at >= 0) waiting.splice(at, 1);
          reject(clientGone());
        }, { once: true });
      });
    }
    try {
      return await work();
    } finally {
      release();
    }
  };
  const admit = (): Admission => {
    if (isFull()) throw queueFull();
    reserved += 1;
    let open = true;
    const close = () => {
      if (open) reserved -= 1;
      open = false;
    };
    return {
      run: (work, signal) => {
        if (!open) return Promise.reject(new Error("this queue admission was already used"));
        close();
        return enter(work, signal);
      },
      cancel: close,
    };
  };
  const run = <T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      return admit().run(work, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return Object.defineProperties(run, { full: { get: isFull }, admit: { value: admit } }) as HashQueue;
}

/** 503 with Retry-After: the queue already holds its limit of waiting jobs. */
export const queueFull = () =>
  new AppError("SERVICE_UNAVAILABLE", "Too many sign-ins are waiting; retry shortly.", { retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_SECONDS });

const CLIENT_GONE = "The client closed the request before its password was checked.";
const clientGone = () => new AppError("SERVICE_UNAVAILABLE", CLIENT_GONE);

/** For tools outside the server (seed, sandbox): the same concurrency, no bound on waiting. */
const defaultQueue = hashQueue({ concurrency: Math.max(1, availableParallelism() - 1), queueLimit: Infinity });

export interface HashOptions {
  queue?: HashQueue;
  /** A place already taken in the queue (`queue.admit()`), used instead of queueing anew. */
  admission?: Admission;
  /** Fires when the client has gone: a job still waiting is not computed. */
  signal?: AbortSignal;
}

const inQueue = <T>(options: HashOptions, work: () => Promise<T>): Promise<T> =>
  options.admission ? options.admission.run(work, options.signal) : (options.queue ?? defaultQueue)(work, options.signal);

export function hashPassword(password: string, cost: number, options: HashOptions = {}): Promise<string> {
  return inQueue(options, () => bcryptHash(prehash(password), cost));
}

/**
 * Compares in the queue. `hash` may still be on its way (the dummy hash of a first login):
 * the queue's admission comes first, so a full queue refuses at once whatever else is slow.
 */
export function verifyPassword(password: string, hash: string | Promise<string>, options: HashOptions = {}): Promise<boolean> {
  return inQueue(options, async () => bcryptCompare(prehash(password), await hash));
}

/** True for the error of a job dropped because its client had gone. */
export function isClientGone(err: unknown): boolean {
  return err instanceof AppError && err.detail === CLIENT_GONE;
}

/** True when a stored hash was made with a lower cost than configured now (rehash on login). */
export function needsRehash(hash: string, cost: number): boolean {
  try {
    return bcrypt.getRounds(hash) < cost;
  } catch {
    return true;
  }
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * A hash of a random password at the given cost. Logins for unknown emails are compared
 * against it, so they take as long as a wrong password for a real account.
 */
export function dummyHash(cost: number): Promise<string> {
  let hash = dummyHashes.get(cost);
  if (!hash) {
    hash = hashPassword(randomBytes(32).toString("base64"), cost);
    dummyHashes.set(cost, hash);
  }
  return hash;
}

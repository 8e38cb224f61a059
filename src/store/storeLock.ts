/**
 * One writer per model at a time, across processes: a lock file created atomically
 * (written under a temporary name, then hard-linked to the lock's name, which fails if
 * the lock exists), holding its owner's pid and host. The owner touches it every few
 * seconds; a lock whose owner has died on this host, or that nobody has touched for a
 * minute (a crash on another host sharing the store), is stale and taken over.
 */
import { hostname } from "node:os";
import { link, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { AbortedError } from "../errors.js";

/** Who holds a lock. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export interface AcquireLockOptions {
  signal?: AbortSignal | undefined;
  /** Called once, when the lock is held by someone else and this call starts waiting. */
  onWait?: ((owner: LockOwner | undefined) => void) | undefined;
  /** What the abort error names. Defaults to "Waiting for the lock". */
  what?: string;
}

export const lockTimings = {
  /** How often a waiter looks again, in milliseconds. */
  pollMs: 200,
  /** How often the owner touches the lock, in milliseconds. */
  heartbeatMs: 5_000,
  /** A lock untouched this long is stale, in milliseconds. */
  staleMs: 60_000,
};

/** Takes the lock at `path`, waiting while a live owner holds it. Resolves to its release function. */
export async function acquireLock(path: string, options: AcquireLockOptions = {}): Promise<() => Promise<void>> {
  let waiting = false;
  for (;;) {
    if (options.signal?.aborted) throw new AbortedError(options.what ?? "Waiting for the lock", { cause: options.signal.reason });
    if (await tryCreate(path)) return holdLock(path);
    const owner = await readOwner(path);
    if (await isStale(path, owner)) {
      // Only if it is still the lock judged stale: another waiter may have replaced it
      // meanwhile (two waiters taking over the same stale lock is left a tiny window).
      if (sameOwner(await readOwner(path), owner)) await rm(path, { force: true });
      continue;
    }
    if (!waiting) {
      waiting = true;
      options.onWait?.(owner);
    }
    await delay(lockTimings.pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

async function tryCreate(path: string): Promise<boolean> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temporary, JSON.stringify(owner));
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

function holdLock(path: string): () => Promise<void> {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, lockTimings.heartbeatMs);
  heartbeat.unref();
  return async () => {
    clearInterval(heartbeat);
    await rm(path, { force: true });
  };
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, "utf8")) as Partial<LockOwner>;
    return typeof owner.pid === "number" && typeof owner.host === "string" ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

function sameOwner(first: LockOwner | undefined, second: LockOwner | undefined): boolean {
  return first?.pid === second?.pid && first?.host === second?.host && first?.since === second?.since;
}

async function isStale(path: string, owner: LockOwner | undefined): Promise<boolean> {
  if (owner !== undefined && owner.host === hostname() && !isProcessAlive(owner.pid)) return true;
  try {
    return Date.now() - (await stat(path)).mtimeMs > lockTimings.staleMs;
  } catch {
    // Gone between the two looks: the next attempt creates it.
    return false;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

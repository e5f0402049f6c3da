import { closeSync, linkSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { RunWriteError } from "./errors.js";
import { readRegularTextSync } from "./fs-safe.js";
import { RunLayout } from "./paths.js";
import { lazyCrypto } from "./builtins.js";

/** How long to wait for another process's read-merge-write (milliseconds of small JSON I/O). */
const WAIT_MS = 15_000;
/** A lock this old is abandoned (a stopped or foreign-host holder); a dead local pid is abandoned at once. */
const STALE_MS = 30_000;

const held = new Map<string, number>(); // lock file → nesting depth in this process
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** `<run>/.runtrail/lock` for a file kept at the run root. */
export function runLockPath(runFile: string): string {
  return join(dirname(runFile), RunLayout.private, "lock");
}

/**
 * Runs `fn` while holding the run's lock: a file created with O_EXCL that holds the owner's pid,
 * host and time. It guards only the read-merge-write of `lineages.plx.json` and `run.plx.json`,
 * so that processes sharing a run merge their records instead of overwriting each other's.
 * Synchronous (it also runs in exit hooks) and re-entrant within a process. A lock left by a
 * killed process (dead pid on this host, or older than 30 s) is broken.
 * @throws RunWriteError when the lock cannot be taken.
 */
export function withRunLock<T>(lockFile: string, fn: () => T): T {
  const depth = held.get(lockFile) ?? 0;
  if (depth === 0) acquire(lockFile);
  held.set(lockFile, depth + 1);
  try {
    return fn();
  } finally {
    if (depth === 0) {
      held.delete(lockFile);
      try {
        unlinkSync(lockFile);
      } catch {
        // Already broken as stale by another process: nothing of ours to remove.
      }
    } else held.set(lockFile, depth);
  }
}

function acquire(lockFile: string): void {
  const me = `${process.pid}\n${hostname()}\n${Date.now()}\n`;
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dirname(lockFile), { recursive: true });
      const fd = openSync(lockFile, "wx");
      try {
        writeSync(fd, me);
      } catch {
        // On a full disk the lock is ours without its owner line; the write it guards reports the failure.
      } finally {
        closeSync(fd);
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new RunWriteError(`could not create the run lock ${lockFile}: ${(err as Error).message}`, lockFile, err);
      }
    }
    if (breakIfStale(lockFile)) continue;
    if (Date.now() > deadline) {
      throw new RunWriteError(
        `the run lock ${lockFile} has been held for more than ${WAIT_MS / 1000} s by another process (${readOwner(lockFile) ?? "unknown"}); if no other process uses this run, delete the file.`,
        lockFile,
      );
    }
    Atomics.wait(sleeper, 0, 0, Math.min(1 + attempt, 20));
  }
}

function readOwner(lockFile: string): string | undefined {
  try {
    return readRegularTextSync(lockFile, "reading the run lock");
  } catch {
    return undefined;
  }
}

function isStale(content: string | undefined, mtimeMs: number): boolean {
  const age = Date.now() - mtimeMs;
  const [pid, host] = (content ?? "").split("\n");
  if (!pid || !host) return age > 1000; // a holder killed between create and write
  if (age > STALE_MS) return true;
  if (host !== hostname()) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Removes an abandoned lock. Renaming it first means two breakers cannot remove a fresh lock by mistake. */
function breakIfStale(lockFile: string): boolean {
  let content: string | undefined;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(lockFile).mtimeMs;
    content = readOwner(lockFile);
  } catch {
    return true; // released meanwhile
  }
  if (!isStale(content, mtimeMs)) return false;
  const aside = `${lockFile}.stale-${lazyCrypto().randomBytes(4).toString("hex")}`;
  try {
    renameSync(lockFile, aside);
  } catch {
    return true; // someone else broke or released it
  }
  if (readOwner(aside) !== content) {
    // Between our read and the rename the stale lock was replaced by a live one: put it back.
    try {
      linkSync(aside, lockFile);
    } catch {
      // A third process holds the lock now; the one we moved is released by its owner's unlink failing silently.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Nothing left to clean.
  }
  return true;
}

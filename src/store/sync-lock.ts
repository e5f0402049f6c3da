import { hostname } from "node:os";
import { mkdir, open, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { S3SyncBusyError } from "./errors.js";
import { readRegularText } from "../core/fs-safe.js";

/** A lock held by a process on another host is considered abandoned after this long. */
const FOREIGN_LOCK_STALE_MS = 6 * 60 * 60 * 1000;

const inProcess = new Map<string, Promise<void>>();

/**
 * Makes syncs of one run to one store take turns: callers in this process wait for each
 * other; another live process holding the lock file is an {@link S3SyncBusyError}; a lock
 * left by a dead process (same host) is taken over.
 *
 * @returns a function that releases the lock.
 */
export async function acquireSyncLock(lockPath: string): Promise<() => Promise<void>> {
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const before = inProcess.get(lockPath);
  const chained = (before ?? Promise.resolve()).then(() => mine);
  inProcess.set(lockPath, chained);
  if (before) await before;
  const done = async (): Promise<void> => {
    release();
    if (inProcess.get(lockPath) === chained) inProcess.delete(lockPath);
  };
  try {
    await takeFileLock(lockPath);
  } catch (err) {
    await done();
    throw err;
  }
  return async () => {
    await rm(lockPath, { force: true });
    await done();
  };
}

async function takeFileLock(lockPath: string): Promise<void> {
  await mkdir(dirname(lockPath), { recursive: true });
  const body = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lockPath, "wx");
      try {
        await fh.writeFile(body);
      } finally {
        await fh.close();
      }
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
    }
    const holder = await describeHolder(lockPath);
    if (holder.alive) throw new S3SyncBusyError(lockPath, holder.text);
    await rm(lockPath, { force: true });
  }
  throw new S3SyncBusyError(lockPath, "a process that keeps re-creating the lock");
}

async function describeHolder(lockPath: string): Promise<{ alive: boolean; text: string }> {
  let info: { pid?: unknown; host?: unknown; startedAt?: unknown } = {};
  let ageMs = 0;
  try {
    info = JSON.parse(await readRegularText(lockPath, "reading the sync lock")) as typeof info;
    ageMs = Date.now() - (await stat(lockPath)).mtimeMs;
  } catch {
    // Unreadable or half-written: the holder died while creating it, or just created it.
    // Treat as alive only if it is very fresh.
    try {
      ageMs = Date.now() - (await stat(lockPath)).mtimeMs;
    } catch {
      return { alive: false, text: "" };
    }
    return { alive: ageMs < 10_000, text: "a process that is starting" };
  }
  const pid = typeof info.pid === "number" ? info.pid : -1;
  const host = typeof info.host === "string" ? info.host : "?";
  const text = `pid ${pid} on ${host} since ${String(info.startedAt)}`;
  if (host !== hostname()) return { alive: ageMs < FOREIGN_LOCK_STALE_MS, text };
  // Our own pid can only be a leftover of an earlier process that had the same pid (after a
  // reboot or in a container): in this process, callers already take turns before this point.
  return { alive: pid > 0 && pid !== process.pid && isAlive(pid), text };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

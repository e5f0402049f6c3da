import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;
const CHUNK = 64 * 1024;

/**
 * How the read side opens a file of a run folder: without following a symlink and without
 * blocking on a FIFO or device. A descriptor the caller closes, or `undefined` when it cannot be opened.
 */
export function openRunFile(path: string): number | undefined {
  const fd = openOrMissing(path);
  return fd === "missing" ? undefined : fd;
}

/** {@link openRunFile}, saying `"missing"` when there is no such file (ENOENT, or a parent that is not a folder). */
function openOrMissing(path: string): number | "missing" | undefined {
  try {
    return openSync(path, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "missing" : undefined;
  }
}

/** A file of a run folder as read by {@link readRunFile}: its bytes and its `fstat`. */
export interface RunFileRead {
  bytes: Buffer;
  stat: Stats;
}

/**
 * The one way the read side reads a file of a run folder (`run.plx.json`, …). Opens without
 * following a symlink and without blocking (a FIFO or device in a run folder must never hang a
 * listing), then reads only a regular file. `undefined` when the path is missing, a symlink,
 * or not a regular file.
 */
export function readRunFile(path: string): RunFileRead | undefined {
  const r = readRunFileOrMissing(path);
  return r === "missing" ? undefined : r;
}

/** {@link readRunFile}, saying `"missing"` when there is no such file at all (so no stat is needed first to tell). */
export function readRunFileOrMissing(path: string): RunFileRead | "missing" | undefined {
  const fd = openOrMissing(path);
  if (fd === undefined || fd === "missing") return fd;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    const bytes = Buffer.allocUnsafe(Math.max(stat.size, 1) + 1);
    let n = 0;
    for (;;) {
      if (n === bytes.length) return { bytes: Buffer.concat([bytes, readRest(fd, n)]), stat };
      const r = readSync(fd, bytes, n, Math.min(CHUNK * 16, bytes.length - n), n);
      if (r === 0) break;
      n += r;
    }
    return { bytes: bytes.subarray(0, n), stat };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** What a file that grew since its fstat holds past `from`. */
function readRest(fd: number, from: number): Buffer {
  const parts: Buffer[] = [];
  let pos = from;
  for (;;) {
    const b = Buffer.allocUnsafe(CHUNK);
    const r = readSync(fd, b, 0, CHUNK, pos);
    if (r === 0) return Buffer.concat(parts);
    parts.push(b.subarray(0, r));
    pos += r;
  }
}

import { appendFileSync, closeSync, fstatSync, mkdirSync, readSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { RunLayout } from "../paths.js";
import { openRunFile } from "./read-file.js";

// The runs root's change log, `<runs root>/.runtrail/changes`: every runtrail writer appends a
// run's folder name to it right after it rewrites that run's `run.plx.json` (a status change,
// end(), a resume, tags…). It is what lets a listing trust its index without an lstat per run:
// the index remembers how far into the log it has read, and re-reads just the runs named since.

/** Past this size a full check (which needs no log) starts the log afresh. */
const ROTATE_BYTES = 8 << 20;

/** `<runs root>/.runtrail/changes`. */
export function changeLogPath(runsRoot: string): string {
  return join(runsRoot, RunLayout.private, "changes");
}

/**
 * Notes that runtrail just rewrote `<runDir>/run.plx.json`. One small O_APPEND write, so lines
 * of concurrent writers never interleave. Only into a `.runtrail/` folder a listing made: a
 * writer creates nothing outside its run folder, and runs nobody has listed need no notes (the
 * first listing looks at every folder). Never throws: a root that is read-only or full only
 * means listings find the change at their next full check instead.
 */
export function noteRunChanged(runDir: string): void {
  try {
    appendFileSync(changeLogPath(dirname(runDir)), `${basename(runDir)}\n`);
  } catch {
    // no .runtrail/ (never listed), read-only, full: see above
  }
}

/**
 * Makes the runs root's `.runtrail/` folder, so that writers note their changes from now on.
 * A listing calls it before it looks at every run folder: a change made after that look is
 * noted, and one made before it is seen by it. False where it cannot be made.
 */
export function startChangeLog(runsRoot: string): boolean {
  try {
    mkdirSync(join(runsRoot, RunLayout.private), { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** How far a reader has read the log: the file (inode and birth time: an inode number is reused) and the byte after the last whole line read. */
export interface ChangeLogMark {
  ino: number;
  born: number;
  offset: number;
}

/**
 * The folder names noted since `mark`, and the new mark. `"reset"` when the log is not the file
 * the mark is about (replaced, shrunk, or gone after having been read): what it said may be lost,
 * so the caller checks every run. A line still being written (no `\n` yet) is left for next time.
 */
export function readChanges(runsRoot: string, mark: ChangeLogMark | null): { names: Set<string>; mark: ChangeLogMark | null } | "reset" {
  const fd = openRunFile(changeLogPath(runsRoot));
  if (fd === undefined) return mark === null || mark.offset === 0 ? { names: new Set(), mark: null } : "reset";
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return "reset";
    const from = mark === null ? 0 : mark.offset;
    if (mark !== null && (mark.ino !== st.ino || mark.born !== st.birthtimeMs || st.size < from)) return "reset";
    const names = new Set<string>();
    if (st.size === from) return { names, mark: { ino: st.ino, born: st.birthtimeMs, offset: from } };
    const buf = Buffer.allocUnsafe(st.size - from);
    const n = readSync(fd, buf, 0, buf.length, from);
    const end = n > 0 ? buf.lastIndexOf(10, n - 1) + 1 : 0;
    // A name that cannot be a run folder's (a path, a hidden name) is not ours: never followed.
    for (const name of buf.toString("utf8", 0, end).split("\n")) if (name && name[0] !== "." && !name.includes("/") && !name.includes("\0")) names.add(name);
    return { names, mark: { ino: st.ino, born: st.birthtimeMs, offset: from + end } };
  } catch {
    return "reset";
  } finally {
    closeSync(fd);
  }
}

/**
 * Called at the start of a full check, which looks at every run anyway: a log grown past 8 MiB
 * is moved aside and removed, so it never grows without bound. A writer that had the old file
 * open may still append to it; that one change waits for the next full check.
 */
export function rotateChangeLog(runsRoot: string, mark: ChangeLogMark | null): ChangeLogMark | null {
  if (mark === null || mark.offset < ROTATE_BYTES) return mark;
  const log = changeLogPath(runsRoot);
  const aside = `${log}.${process.pid}.old`;
  try {
    renameSync(log, aside);
    rmSync(aside, { force: true });
    return null;
  } catch {
    return mark;
  }
}

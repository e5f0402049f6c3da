import { readdirSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";

/**
 * Sets the times of every file and folder under `dir` (and of `dir`) an hour back, as for runs
 * written a while ago: the run index trusts only fingerprints older than its racy window, so a
 * change made after this must be seen through inode, size and ctime (which cannot be set back).
 * Returns `dir`.
 */
export function ageTree(dir: string): string {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) ageTree(p);
    else agePath(p);
  }
  agePath(dir);
  return dir;
}

/** Sets one path's own times an hour back (a folder's entries keep theirs). */
export function agePath(path: string): void {
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(path, old, old);
}

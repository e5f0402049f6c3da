import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { PathEscapeError } from "./errors.js";

/** Fixed sub-folders and files of a run (polyaxon-format.md §1.2). */
export const RunLayout = {
  outputs: "outputs",
  events: "events",
  assets: "assets",
  resources: "resources",
  runMeta: "run.plx.json",
  lineages: "lineages.plx.json",
  /** runtrail's own working state: staging folders, sync manifests, locks. Never synced or listed. */
  private: ".runtrail",
} as const;

export const RUN_UUID_RE = /^[0-9a-f]{32}$/;

/** `<run>/events/<kind>/<name>.plx` */
export function eventPath(runPath: string, kind: string, name: string): string {
  return join(runPath, RunLayout.events, kind, `${name}.plx`);
}

/** `assets/<kind>/<name>[_<step>][.<ext>]`, relative to the run root (polyaxon-format.md §3). */
export function assetRelPath(kind: string, name: string, step: number | undefined, ext: string): string {
  let p = `${RunLayout.assets}/${kind}/${name}`;
  if (step !== undefined) p += `_${step}`;
  if (ext) p += `.${ext}`;
  return p;
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** The real path of the deepest part of `target` that exists (symlinks resolved). */
function realpathOfExistingPrefix(target: string): string {
  let current = target;
  const rest: string[] = [];
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    rest.unshift(current.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
    current = parent;
  }
  let real: string;
  try {
    real = realpathSync(current);
  } catch {
    real = current;
  }
  return rest.length ? join(real, ...rest) : real;
}

/**
 * Resolves a user-supplied relative path under `root` and proves it stays there: no absolute
 * paths, no `..` segments, no NUL bytes, and no symlink on the way that leads outside.
 *
 * @throws PathEscapeError naming the bad path; nothing is created.
 */
export function resolveInside(root: string, relPath: string, what = "path"): string {
  if (typeof relPath !== "string") throw new PathEscapeError(`${what} must be a string, got ${typeof relPath}.`, relPath);
  if (relPath.includes("\0")) throw new PathEscapeError(`${what} ${JSON.stringify(relPath)} contains a NUL byte.`, relPath);
  if (isAbsolute(relPath) || /^[a-zA-Z]:[\\/]/.test(relPath)) {
    throw new PathEscapeError(
      `${what} ${JSON.stringify(relPath)} is absolute; give a path relative to the run folder (e.g. "model/weights.bin").`,
      relPath,
    );
  }
  if (relPath.split(/[\\/]+/).includes("..")) {
    throw new PathEscapeError(`${what} ${JSON.stringify(relPath)} contains "..": paths must stay inside the run folder.`, relPath);
  }
  const target = resolve(root, relPath);
  assertRealpathInside(root, target, what, relPath);
  return target;
}

/** Throws when `target`, after resolving symlinks, is not inside `root` (also after resolving). */
export function assertRealpathInside(root: string, target: string, what = "path", shown: string = target): void {
  if (!isInside(resolve(root), resolve(target))) {
    throw new PathEscapeError(`${what} ${JSON.stringify(shown)} is outside the run folder ${root}.`, shown);
  }
  const realRoot = realpathOfExistingPrefix(resolve(root));
  const realTarget = realpathOfExistingPrefix(resolve(target));
  if (!isInside(realRoot, realTarget)) {
    throw new PathEscapeError(
      `${what} ${JSON.stringify(shown)} leads outside the run folder through a symbolic link (it resolves to ${realTarget}).`,
      shown,
    );
  }
}

/** True when `p` is inside `root` (lexically). */
export function isPathInside(root: string, p: string): boolean {
  return isInside(resolve(root), resolve(p));
}

/** The run-relative POSIX form of an absolute path inside the run. */
export function toRunRelative(root: string, abs: string): string {
  return relative(root, abs).split(sep).join("/");
}

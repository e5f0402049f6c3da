import { readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { RunLayout } from "../paths.js";

/** The offline root `init()` uses when none is given: env `POLYAXON_OFFLINE_ROOT`, else `./plx`. */
export function defaultOfflineRoot(): string {
  return process.env.POLYAXON_OFFLINE_ROOT ?? "./plx";
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The folder that holds the run folders, absolute: `<root>/runs` when it exists (an offline
 * root such as `./plx`), the parent when `root` is itself a run folder, otherwise `root`.
 */
export function resolveRunsRoot(root: string): string {
  if (isDir(join(root, "runs"))) return resolve(root, "runs");
  if (isFile(join(root, RunLayout.runMeta))) return dirname(resolve(root));
  return resolve(root);
}

/**
 * The candidate run folders under a runs root: real folders (not symlinks), not hidden, in the
 * order the file system gives them. Whether each holds a `run.plx.json` is for the caller to
 * check (it stats it anyway).
 */
export function listRunFolders(runsRoot: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(runsRoot, { withFileTypes: true })) if (e.isDirectory() && e.name[0] !== ".") out.push(e.name);
  return out;
}

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../fsutil.js";
import { RunLayout } from "../paths.js";
import { readRunFile } from "./read-file.js";
import type { RunRecord } from "./run-record.js";

/** Bumped whenever {@link RunRecord} changes shape: an index of another version is rebuilt. */
const INDEX_VERSION = 1;

/** `<runsRoot>/.runtrail/index.json`: beside the run folders, never inside one. */
export function indexPath(runsRoot: string): string {
  return join(runsRoot, RunLayout.private, "index.json");
}

/**
 * The run records of the index, by folder name; empty when there is no index, it is of another
 * version, or it cannot be parsed (it is derived state: the run folders rebuild it).
 */
export function loadIndex(runsRoot: string): Map<string, RunRecord> {
  const file = readRunFile(indexPath(runsRoot));
  if (!file) return new Map();
  try {
    const doc = JSON.parse(file.bytes.toString("utf8")) as { version?: unknown; runs?: unknown };
    if (doc.version !== INDEX_VERSION || !Array.isArray(doc.runs)) return new Map();
    return new Map((doc.runs as RunRecord[]).map((r) => [r.id, r]));
  } catch {
    return new Map();
  }
}

/**
 * Writes the index atomically (a concurrent lister sees the old or the new one; two writers
 * each write a complete index, the last rename wins). Returns false, writing nothing, when the
 * runs root is read-only or full: listing then simply works without an index.
 */
export function saveIndex(runsRoot: string, records: Iterable<RunRecord>): boolean {
  try {
    mkdirSync(join(runsRoot, RunLayout.private), { recursive: true });
    writeFileAtomicSync(indexPath(runsRoot), JSON.stringify({ version: INDEX_VERSION, runs: [...records] }));
    return true;
  } catch {
    return false;
  }
}

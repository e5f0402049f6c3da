import { appendFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../fsutil.js";
import { RunLayout } from "../paths.js";
import { openIndex, decodeRecord, encodeIndex, encodeRecord, INDEX_VERSION, type IndexSnapshot, type IndexState } from "./index-file.js";
import { openRunFile, readRunFile } from "./read-file.js";
import type { RunRecord } from "./run-record.js";

/** Past this many journal lines (and a tenth of the runs), the next save rewrites the index whole. */
const MIN_COMPACT_LINES = 200;

/** `<runsRoot>/.runtrail/index`: beside the run folders, never inside one. */
export function indexPath(runsRoot: string): string {
  return join(runsRoot, RunLayout.private, "index");
}

/** `<runsRoot>/.runtrail/index.journal`: what changed since `index` was written, one JSON line per listing that changed something. */
export function journalPath(runsRoot: string): string {
  return join(runsRoot, RunLayout.private, "index.journal");
}

/** The index as loaded: the file's snapshot, the journal's records and state on top. */
export interface LoadedIndex {
  snapshot?: IndexSnapshot;
  /** Records of the journal by folder name: newer than the snapshot's. */
  overrides: Map<string, RunRecord>;
  /** The journal's last state, else the snapshot's; null without an index. */
  state: IndexState | null;
  /** Lines in the journal. */
  journalLines: number;
}

export const NO_INDEX: LoadedIndex = { overrides: new Map(), state: null, journalLines: 0 };

/**
 * The index: the file, then the journal's lines on top. {@link NO_INDEX} when there is none, it
 * is of another version, or it cannot be parsed; a torn journal line (a killed writer) is skipped.
 * It is derived state: the listing decides what of it to trust (see run-table.ts). The caller
 * closes the snapshot.
 */
export function loadIndex(runsRoot: string): LoadedIndex {
  const fd = openRunFile(indexPath(runsRoot));
  const snapshot = fd === undefined ? undefined : openIndex(fd);
  if (!snapshot) return { ...NO_INDEX, overrides: new Map() };
  const overrides = new Map<string, RunRecord>();
  let state: IndexState = snapshot.state;
  let journalLines = 0;
  const journal = readRunFile(journalPath(runsRoot));
  if (journal) {
    for (const line of journal.bytes.toString("utf8").split("\n")) {
      if (!line) continue;
      journalLines++;
      try {
        const entry = JSON.parse(line) as { v?: unknown; r?: unknown; s?: IndexState };
        if (entry.v !== INDEX_VERSION || !Array.isArray(entry.r)) continue;
        for (const e of entry.r) {
          const r = decodeRecord(e);
          if (r) overrides.set(r.id, r);
        }
        if (entry.s && typeof entry.s.checkedMs === "number") state = entry.s;
      } catch {
        // a line cut by a kill
      }
    }
  }
  return { snapshot, overrides, state, journalLines };
}

const sameState = (a: IndexState | null, b: IndexState): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Saves what a listing learnt. Few changes are appended to the journal (one `write`, so a
 * concurrent reader sees whole lines or skips a torn one); otherwise — no index yet, a long
 * journal, runs removed — `all()` is written whole through a temporary file and a rename, and
 * the journal dropped. A journal line lost to a concurrent rewrite only makes a run be read
 * again. Returns false, writing nothing, when the root is read-only or full.
 */
export function saveIndex(runsRoot: string, loaded: LoadedIndex, changed: RunRecord[], state: IndexState, rewrite: boolean, all: () => RunRecord[]): boolean {
  const count = loaded.snapshot?.count ?? 0;
  const limit = Math.max(MIN_COMPACT_LINES, count / 10);
  if (loaded.snapshot && !rewrite && loaded.journalLines < limit && loaded.overrides.size + changed.length <= limit) {
    if (!changed.length && sameState(loaded.state, state)) return true;
    return quietly(() => appendFileSync(journalPath(runsRoot), `${JSON.stringify({ v: INDEX_VERSION, r: changed.map(encodeRecord), s: state })}\n`));
  }
  const bytes = encodeIndex(all(), state);
  return quietly(() => {
    writeFileAtomicSync(indexPath(runsRoot), bytes);
    rmSync(journalPath(runsRoot), { force: true });
    rmSync(join(runsRoot, RunLayout.private, "index.json"), { force: true }); // the single-JSON index of earlier versions
  });
}

/** Runs a write of derived state; false when the file system refused it (read-only, full, a file where a folder should be). */
function quietly(write: () => void): boolean {
  try {
    write();
    return true;
  } catch {
    return false;
  }
}

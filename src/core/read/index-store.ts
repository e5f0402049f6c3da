import { appendFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../fsutil.js";
import { RunLayout } from "../paths.js";
import { readRunFile } from "./read-file.js";
import type { RunRecord } from "./run-record.js";

/** Bumped whenever the encoding below changes: an index of another version is rebuilt. */
const INDEX_VERSION = 2;

/** Past this many journal lines (and a tenth of the runs), the next save rewrites the index whole. */
const MIN_COMPACT_LINES = 200;

/** `<runsRoot>/.runtrail/index.json`: beside the run folders, never inside one. */
export function indexPath(runsRoot: string): string {
  return join(runsRoot, RunLayout.private, "index.json");
}

/** `<runsRoot>/.runtrail/index.journal`: records changed since `index.json` was written, one JSON line each. */
function journalPath(runsRoot: string): string {
  return join(runsRoot, RunLayout.private, "index.journal");
}

/** The index as loaded: the records by folder name, and what decides how the next save writes. */
export interface LoadedIndex {
  records: Map<string, RunRecord>;
  /** Lines in the journal (a later line for a folder replaces an earlier one). */
  journalLines: number;
  /** Whether `index.json` was there and of this version. */
  hasBase: boolean;
}

/**
 * A record as one JSON array: positional fields parse with a fraction of the objects (and of the
 * garbage collection) that keyed objects cost, which is most of a warm listing of 10,000 runs.
 * Non-finite metric values are kept as text, since JSON has no NaN or Infinity.
 */
type Encoded = [id: string, metaFp: string, meta: unknown[], metrics: unknown[], metricFps: Record<string, string> | null];

const META_KEYS = ["uuid", "name", "project", "status", "tags", "createdAt", "startedAt", "finishedAt", "duration", "inputs", "outputs", "damaged"] as const;

function encode(r: RunRecord): Encoded {
  const metrics: unknown[] = [];
  for (const [name, m] of Object.entries(r.metrics)) metrics.push(name, m.step, Number.isFinite(m.value) ? m.value : String(m.value));
  return [r.id, r.metaFp, META_KEYS.map((k) => r.meta[k]), metrics, r.metricFps ?? null];
}

function decode(e: unknown): RunRecord | undefined {
  if (!Array.isArray(e) || e.length !== 5 || typeof e[0] !== "string" || typeof e[1] !== "string" || !Array.isArray(e[2]) || !Array.isArray(e[3])) return undefined;
  const [id, metaFp, metaValues, flat, metricFps] = e as Encoded;
  const meta = {} as Record<string, unknown>;
  for (let i = 0; i < META_KEYS.length; i++) meta[META_KEYS[i]!] = metaValues[i];
  const dict = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!Array.isArray(meta.damaged) || !Array.isArray(meta.tags) || !dict(meta.inputs) || !dict(meta.outputs)) return undefined; // not ours: read the run again
  const metrics: RunRecord["metrics"] = {};
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const v = flat[i + 2];
    metrics[flat[i] as string] = { step: flat[i + 1] as number | null, value: typeof v === "number" ? v : Number(v) };
  }
  const r: RunRecord = { id, metaFp, meta: meta as unknown as RunRecord["meta"], metrics };
  if (metricFps) r.metricFps = metricFps;
  return r;
}

/**
 * The index: `index.json`, then the journal's lines on top. Empty when there is none, it is of
 * another version, or it cannot be parsed; a torn journal line (a killed writer) is skipped.
 * It is derived state: every record is checked against its run folder before it is used.
 */
export function loadIndex(runsRoot: string): LoadedIndex {
  const records = new Map<string, RunRecord>();
  const base = readRunFile(indexPath(runsRoot));
  let hasBase = false;
  if (base) {
    try {
      const doc = JSON.parse(base.bytes.toString("utf8")) as { version?: unknown; runs?: unknown };
      if (doc.version === INDEX_VERSION && Array.isArray(doc.runs)) {
        for (const e of doc.runs) {
          const r = decode(e);
          if (r) records.set(r.id, r);
        }
        hasBase = true;
      }
    } catch {
      // not JSON (a foreign or damaged file): rebuilt by the next save
    }
  }
  let journalLines = 0;
  const journal = hasBase ? readRunFile(journalPath(runsRoot)) : undefined;
  if (journal) {
    for (const line of journal.bytes.toString("utf8").split("\n")) {
      if (!line) continue;
      journalLines++;
      try {
        const entry = JSON.parse(line) as { v?: unknown; r?: unknown };
        const r = entry.v === INDEX_VERSION ? decode(entry.r) : undefined;
        if (r) records.set(r.id, r);
      } catch {
        // a line cut by a kill
      }
    }
  }
  return { records, journalLines, hasBase };
}

/**
 * Saves what changed. Few changes are appended to the journal (one `write` per listing, so a
 * concurrent reader sees whole lines or skips a torn one); otherwise — no index yet, a long
 * journal, runs removed — the index is rewritten whole through a temporary file and a rename,
 * and the journal dropped. A journal line lost to a concurrent rewrite only makes that run be
 * read again. Returns false, writing nothing, when the root is read-only or full.
 */
export function saveIndex(runsRoot: string, all: RunRecord[], changed: RunRecord[], loaded: LoadedIndex, removed: boolean): boolean {
  try {
    mkdirSync(join(runsRoot, RunLayout.private), { recursive: true });
    const journalLines = loaded.journalLines + changed.length;
    if (loaded.hasBase && !removed && journalLines <= Math.max(MIN_COMPACT_LINES, all.length / 10)) {
      appendFileSync(journalPath(runsRoot), changed.map((r) => `${JSON.stringify({ v: INDEX_VERSION, r: encode(r) })}\n`).join(""));
      return true;
    }
    writeFileAtomicSync(indexPath(runsRoot), JSON.stringify({ version: INDEX_VERSION, runs: all.map(encode) }));
    rmSync(journalPath(runsRoot), { force: true });
    return true;
  } catch {
    return false;
  }
}

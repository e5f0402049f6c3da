import { lstatSync, readdirSync, type Stats } from "node:fs";
import { join, sep } from "node:path";
import { RunLayout } from "../paths.js";
import { lastMetricRow } from "./last-metric.js";
import { readRunFile } from "./read-file.js";
import { isFinalStatus, metaFields, runDuration, type MetaFields, type MetricLast, type RunSummary } from "./summary.js";

/**
 * What the read side keeps of one run folder (in memory and in the index): the checked fields
 * of `run.plx.json`, the last row of each metric stream, and the fingerprints that say when they
 * must be read again.
 */
export interface RunRecord {
  /** The folder name under the runs root. */
  id: string;
  /** Fingerprint of `run.plx.json` (inode, size, mtime, ctime); "" when it could not be read. */
  metaFp: string;
  meta: MetaFields;
  metrics: Record<string, MetricLast>;
  /** For a run not in a final status: the fingerprint of each metric file, to see new rows. */
  metricFps?: Record<string, string>;
}

/**
 * How recent a file's mtime must be for its fingerprint not to be trusted: file times tick
 * coarsely (a few ms), so a same-size rewrite in place within one tick of our read would keep
 * the fingerprint. As git does with "racily clean" files, such a file is read again next time.
 */
const RACY_MS = 2000;

/**
 * Inode, size, mtime and ctime (ctime cannot be set back by a copy that keeps times, `cp -p`,
 * rsync -t); "" — never equal to a file's — when the file changed too recently to be trusted.
 */
export function fingerprint(s: Stats, now = Date.now()): string {
  if (now - s.mtimeMs < RACY_MS) return "";
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/**
 * The fingerprint of `<run>/run.plx.json` as it is now: undefined when there is none (the folder
 * is not a run), "" when it is not a regular file (a damaged run, listed as such) or just changed.
 */
export function metaFingerprint(runDir: string): string | undefined {
  // Plain concatenation, not join(): this runs once per run on every listing.
  let s: Stats | undefined;
  try {
    s = lstatSync(`${runDir}${sep}${RunLayout.runMeta}`, { throwIfNoEntry: false });
  } catch {
    return ""; // there but unreadable (permissions): a damaged run
  }
  if (!s) return undefined;
  return s.isFile() ? fingerprint(s) : "";
}

/**
 * The metric files of a run (`events/metric/*.plx`, regular files reached without a symlink)
 * and, with `fingerprints` (runs still going), their fingerprints; else "".
 */
export function metricFiles(runDir: string, fingerprints = true): Map<string, string> {
  const out = new Map<string, string>();
  const events = join(runDir, RunLayout.events);
  const dir = join(events, "metric");
  try {
    if (!lstatSync(events).isDirectory() || !lstatSync(dir).isDirectory()) return out;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith(".plx")) continue;
      if (!fingerprints) {
        out.set(e.name.slice(0, -4), "");
        continue;
      }
      const s = lstatSync(join(dir, e.name));
      if (s.isFile()) out.set(e.name.slice(0, -4), fingerprint(s));
    }
  } catch {
    // no metric folder yet, or it vanished while listing: no metrics
  }
  return out;
}

function lastValues(runDir: string, names: Iterable<string>): Record<string, MetricLast> {
  const out: Record<string, MetricLast> = {};
  for (const name of names) {
    const last = lastMetricRow(join(runDir, RunLayout.events, "metric", `${name}.plx`));
    if (last) out[name] = last;
  }
  return out;
}

function unreadableMeta(why: string): MetaFields {
  const f = metaFields({});
  f.damaged = [why];
  return f;
}

/** Reads one run folder from scratch. Never throws: what cannot be read is reported in `meta.damaged`. */
export function readRunRecord(runsRoot: string, id: string): RunRecord {
  const runDir = join(runsRoot, id);
  const file = readRunFile(join(runDir, RunLayout.runMeta));
  // From the fstat taken before the bytes were read: a write that lands in between leaves a stale fingerprint, so the next listing reads again.
  const metaFp = file ? fingerprint(file.stat) : "";
  let meta: MetaFields;
  if (!file) meta = unreadableMeta("run.plx.json: missing, or not a regular file");
  else {
    try {
      meta = metaFields(JSON.parse(file.bytes.toString("utf8")) as unknown);
    } catch {
      meta = unreadableMeta("run.plx.json: not valid JSON");
    }
  }
  const live = !isFinalStatus(meta.status);
  const files = metricFiles(runDir, live);
  const record: RunRecord = { id, metaFp, meta, metrics: lastValues(runDir, files.keys()) };
  if (live) record.metricFps = Object.fromEntries(files);
  return record;
}

/**
 * Brings the live part of a run that is not finished up to date: metric files added, removed,
 * or grown since the record was made are read again. Returns whether anything changed.
 */
export function refreshLiveMetrics(runsRoot: string, record: RunRecord): boolean {
  const runDir = join(runsRoot, record.id);
  const now = metricFiles(runDir);
  const before = record.metricFps ?? {};
  const changed = [...now].filter(([name, fp]) => fp === "" || before[name] !== fp).map(([name]) => name);
  const removed = Object.keys(before).filter((name) => !now.has(name));
  if (!changed.length && !removed.length) return false;
  const metrics = { ...record.metrics };
  for (const name of removed) delete metrics[name];
  for (const name of changed) delete metrics[name];
  Object.assign(metrics, lastValues(runDir, changed));
  record.metrics = metrics;
  record.metricFps = Object.fromEntries(now);
  return true;
}

/** The public summary of a record. */
export function toSummary(runsRoot: string, r: RunRecord, now = Date.now()): RunSummary {
  const m = r.meta;
  const s: RunSummary = {
    uuid: m.uuid ?? r.id,
    name: m.name,
    project: m.project,
    status: m.status,
    tags: m.tags,
    createdAt: m.createdAt,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    duration: runDuration(m, now),
    inputs: m.inputs,
    outputs: m.outputs,
    metrics: r.metrics,
    path: runsRoot.endsWith(sep) ? runsRoot + r.id : runsRoot + sep + r.id, // not join(): once per run per listing
  };
  if (m.damaged.length) s.damaged = m.damaged;
  return s;
}

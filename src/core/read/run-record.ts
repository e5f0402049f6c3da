import { lstatSync, readdirSync, statSync, type Stats } from "node:fs";
import { join, sep } from "node:path";
import { setOwn } from "../own-props.js";
import { RunLayout } from "../paths.js";
import { lastMetricRow } from "./tail.js";
import { readRunFileOrMissing } from "./read-file.js";
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
  /** The last row of the metric streams read so far: all of them when `complete`. */
  metrics: Record<string, MetricLast>;
  /** Streams looked for and not there (only while not `complete`). */
  absent?: string[];
  /** Whether `metrics` holds every stream of the run (else only those a listing needed). */
  complete: boolean;
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
  if (!settled(s, now)) return "";
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/** The fingerprint of a folder (the runs root: entries added, removed or renamed change it); "" when it cannot be trusted. */
export function dirFingerprint(dir: string, now = Date.now()): string {
  try {
    return fingerprint(statSync(dir), now);
  } catch {
    return "";
  }
}

/**
 * `<run>/run.plx.json`'s `lstat` as it is now: undefined when there is none (the folder is not a
 * run), null when it is not a regular file or cannot be looked at (a damaged run, listed as such).
 */
export function metaStat(runDir: string): Stats | null | undefined {
  // Plain concatenation, not join(): this runs once per run on every full check.
  let s: Stats | undefined;
  try {
    s = lstatSync(`${runDir}${sep}${RunLayout.runMeta}`, { throwIfNoEntry: false });
  } catch {
    return null; // there but unreadable (permissions)
  }
  if (!s) return undefined;
  return s.isFile() ? s : null;
}

/**
 * The fingerprint of `<run>/run.plx.json` as it is now: undefined when there is none (the folder
 * is not a run), "" when it is not a regular file (a damaged run, listed as such) or just changed.
 */
export function metaFingerprint(runDir: string): string | undefined {
  const s = metaStat(runDir);
  return s === undefined ? undefined : s === null ? "" : fingerprint(s);
}

/** Whether a fingerprint can be trusted at all: not taken within the racy window of the file's mtime. */
export function settled(s: Stats, now = Date.now()): boolean {
  return now - s.mtimeMs >= RACY_MS;
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

function lastValues(runDir: string, names: Iterable<string>, out: Record<string, MetricLast> = {}, absent?: string[]): Record<string, MetricLast> {
  for (const name of names) {
    const last = lastMetricRow(join(runDir, RunLayout.events, "metric", `${name}.plx`));
    if (last) setOwn(out, name, last); // a stream named `__proto__` is a stream, not a prototype
    else absent?.push(name);
  }
  return out;
}

function unreadableMeta(why: string): MetaFields {
  const f = metaFields({});
  f.damaged = [why];
  return f;
}

/**
 * Reads one run folder from scratch: `run.plx.json`, and of the metric streams either all
 * (`"all"`; always for a run not in a final status, whose live values are watched) or just the
 * named ones — a listing sorted or filtered on `metrics.loss` needs only `loss.plx` of every
 * run, and the other streams of the runs it shows. Never throws: what cannot be read is
 * reported in `meta.damaged`.
 */
export function readRunRecord(runsRoot: string, id: string, metrics: "all" | Iterable<string> = "all"): RunRecord {
  return readRunRecordIfRun(runsRoot, id, metrics, false)!;
}

/** {@link readRunRecord}, or `undefined` when the folder holds no `run.plx.json` at all (it is not a run) and `ifRun` is set. */
export function readRunRecordIfRun(runsRoot: string, id: string, metrics: "all" | Iterable<string>, ifRun = true): RunRecord | undefined {
  const runDir = join(runsRoot, id);
  const read = readRunFileOrMissing(join(runDir, RunLayout.runMeta));
  if (read === "missing" && ifRun) return undefined;
  const file = read === "missing" ? undefined : read;
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
  if (!live && metrics !== "all") {
    const absent: string[] = [];
    return { id, metaFp, meta, metrics: lastValues(runDir, metrics, {}, absent), absent, complete: false };
  }
  const files = metricFiles(runDir, live);
  const record: RunRecord = { id, metaFp, meta, metrics: lastValues(runDir, files.keys()), complete: true };
  if (live) record.metricFps = Object.fromEntries(files);
  return record;
}

/**
 * What a record knows of one metric stream: its last row, `null` when the run has no such
 * stream, `undefined` when the record does not know yet (it was read for other metrics).
 */
export function metricCell(r: RunRecord, name: string): MetricLast | null | undefined {
  if (Object.hasOwn(r.metrics, name)) return r.metrics[name];
  return r.complete || r.absent?.includes(name) ? null : undefined;
}

/** A copy of a finished run's record that also knows the named streams (read now). */
export function withMetrics(runsRoot: string, r: RunRecord, names: Iterable<string>): RunRecord {
  const absent = [...(r.absent ?? [])];
  const metrics = lastValues(join(runsRoot, r.id), names, { ...r.metrics }, absent);
  return { ...r, metrics, absent };
}

/**
 * A copy of a record that knows every metric stream of its run: the streams it did not read
 * yet are read now. A finished run's streams do not change while its `run.plx.json` does not,
 * so what the record knew stays true.
 */
export function withAllMetrics(runsRoot: string, r: RunRecord): RunRecord {
  if (r.complete) return r;
  const runDir = join(runsRoot, r.id);
  const metrics: Record<string, MetricLast> = {};
  const unknown: string[] = [];
  for (const name of metricFiles(runDir, false).keys()) {
    if (Object.hasOwn(r.metrics, name)) setOwn(metrics, name, r.metrics[name]!);
    else if (!r.absent?.includes(name)) unknown.push(name);
  }
  lastValues(runDir, unknown, metrics);
  const { absent: _absent, ...rest } = r;
  return { ...rest, metrics, complete: true };
}

/**
 * Brings the live part of a run that is not finished up to date: metric files added, removed,
 * or grown since the record was made are read again. Returns the new record, or `undefined`
 * when nothing changed.
 */
export function refreshLiveMetrics(runsRoot: string, record: RunRecord): RunRecord | undefined {
  const runDir = join(runsRoot, record.id);
  const now = metricFiles(runDir);
  const before = record.metricFps ?? {};
  const changed = [...now].filter(([name, fp]) => fp === "" || before[name] !== fp).map(([name]) => name);
  const removed = Object.keys(before).filter((name) => !now.has(name));
  if (!changed.length && !removed.length) return undefined;
  const metrics = { ...record.metrics };
  for (const name of removed) delete metrics[name];
  for (const name of changed) delete metrics[name];
  lastValues(runDir, changed, metrics);
  return { ...record, metrics, metricFps: Object.fromEntries(now) };
}

/** Whether a listing must look at the run's files even when its index entry is trusted: it is still going, or its fingerprint was too fresh to trust. */
export function needsRecheck(r: RunRecord): boolean {
  return r.metricFps !== undefined || r.metaFp === "";
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

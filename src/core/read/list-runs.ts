import { existsSync, statSync } from "node:fs";
import { basename, sep } from "node:path";
import { ArtifactNotFoundError, InvalidValueError } from "../errors.js";
import { loadIndex, saveIndex, type LoadedIndex } from "./index-store.js";
import { matchQuery, parseQuery } from "./query.js";
import { metaFingerprint, readRunRecord, refreshLiveMetrics, toSummary, type RunRecord } from "./run-record.js";
import { defaultOfflineRoot, listRunFolders, resolveRunsRoot } from "./runs-root.js";
import { comparator, parseSort } from "./sort.js";
import type { RunSummary } from "./summary.js";

/** Options of {@link listRuns}. */
export interface ListRunsOptions {
  /** Polyaxon query language, e.g. `status:succeeded, metrics.val_loss:<0.1, inputs.lr:0.001|0.01`. Default: every run. */
  query?: string;
  /** Comma-separated fields, `-` for descending, e.g. `-metrics.val_acc, created_at`. Default `-created_at` (newest first). */
  sort?: string;
  /** At most this many runs. Default: all. */
  limit?: number;
  /** Skip this many runs of the sorted result first. Default 0. */
  offset?: number;
  /**
   * Keep and use the index `<runsRoot>/.runtrail/index.json` (default true). With false every
   * run folder is read, and nothing is written.
   */
  index?: boolean;
}

function checkCount(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new InvalidValueError(`${name} must be a whole number ≥ 0, got ${JSON.stringify(v)}.`, v);
  }
  return v;
}

/**
 * The records of every run under a runs root, brought up to date. The rule for what is read
 * again: a run whose `run.plx.json` changed (inode, size, mtime or ctime) is read from scratch;
 * a run not in a final status also has its metric files' fingerprints checked, and the changed
 * ones read again (live values); a finished run's metric files are not looked at, since every
 * writer that changes them (a resume, `end()`) rewrites `run.plx.json` too.
 */
export function currentRecords(runsRoot: string, opts: { index?: boolean } = {}): RunRecord[] {
  const useIndex = opts.index !== false;
  const loaded: LoadedIndex = useIndex ? loadIndex(runsRoot) : { records: new Map(), journalLines: 0, hasBase: false };
  const indexed = loaded.records;
  const records: RunRecord[] = [];
  const toRead: Array<{ slot: number; id: string }> = [];
  const live: RunRecord[] = [];
  let stillThere = 0;
  const prefix = runsRoot.endsWith(sep) ? runsRoot : runsRoot + sep;
  for (const id of listRunFolders(runsRoot)) {
    const fp = metaFingerprint(prefix + id);
    if (fp === undefined) continue; // not a run folder
    const known = indexed.get(id);
    if (known) stillThere++;
    if (known && fp !== "" && known.metaFp === fp) {
      records.push(known);
      if (known.metricFps) live.push(known);
    } else {
      toRead.push({ slot: records.length, id });
      records.push(known!); // replaced below
    }
  }
  const changed: RunRecord[] = [];
  for (const { slot, id } of toRead) changed.push((records[slot] = readRunRecord(runsRoot, id)));
  for (const r of live) if (refreshLiveMetrics(runsRoot, r)) changed.push(r);
  const removed = stillThere < indexed.size;
  if (useIndex && (changed.length || removed)) saveIndex(runsRoot, records, changed, loaded, removed);
  return records;
}

/** The local folder holding the runs of `root` (for `s3://`, the cache, with the folder names of that listing). */
async function localRunsRoot(root: string | undefined): Promise<{ runsRoot: string; only?: Set<string> }> {
  const given = root ?? defaultOfflineRoot();
  if (given.startsWith("s3://")) return (await import("./s3-root.js")).cacheStoredRuns(given);
  const runsRoot = resolveRunsRoot(given);
  if (!existsSync(runsRoot)) throw new ArtifactNotFoundError(`the runs root ${runsRoot} does not exist; pass the folder that holds runs/ (init()'s offlineRoot).`, given);
  if (!statSync(runsRoot).isDirectory()) throw new ArtifactNotFoundError(`${runsRoot} is a file, not a folder of runs; pass the folder that holds runs/ (init()'s offlineRoot).`, given);
  return { runsRoot };
}

function summaries(runsRoot: string, records: RunRecord[], only?: Set<string>): RunSummary[] {
  const now = Date.now();
  const out: RunSummary[] = [];
  for (const r of records) if (!only || only.has(r.id)) out.push(toSummary(runsRoot, r, now));
  return out;
}

/**
 * {@link listRuns} on a folder known to be a runs root (the dashboard's jail, a cache): no
 * `runs/` lookup. `only` keeps just those folder names.
 */
export async function listRunsIn(runsRoot: string, opts: ListRunsOptions = {}, only?: Set<string>): Promise<RunSummary[]> {
  const where = parseQuery(opts.query);
  const order = comparator(parseSort(opts.sort));
  const limit = checkCount("limit", opts.limit);
  const offset = checkCount("offset", opts.offset) ?? 0;
  if (only && !only.size) return [];
  const runs = summaries(runsRoot, currentRecords(runsRoot, { index: opts.index }), only).filter((r) => matchQuery(where, r)).sort(order);
  return runs.slice(offset, limit === undefined ? undefined : offset + limit);
}

/**
 * Lists the runs under a root, filtered with Polyaxon's query language and sorted as
 * `polyaxon ops ls -q … -s …` does. The root is an offline root (its `runs/` folder is used), a
 * runs folder, or `s3://bucket/prefix` (metadata cached locally); by default the one `init()`
 * writes to (env `POLYAXON_OFFLINE_ROOT`, else `./plx`). An index beside the run folders keeps
 * repeated listings fast; it is derived state and may be deleted at any time.
 *
 * @example
 * const runs = await listRuns("./plx", { query: "status:succeeded, metrics.val_loss:<0.1", sort: "-metrics.val_acc", limit: 20 });
 * @throws InvalidQueryError for a bad query or sort (saying where, and what is allowed);
 *   InvalidValueError for a bad limit or offset; ArtifactNotFoundError when the root does not exist.
 */
export async function listRuns(root?: string, opts: ListRunsOptions = {}): Promise<RunSummary[]> {
  parseQuery(opts.query); // a bad query fails before any I/O (or S3 round trip)
  parseSort(opts.sort);
  const { runsRoot, only } = await localRunsRoot(root);
  return listRunsIn(runsRoot, opts, only);
}

/**
 * One run's summary by uuid, run folder name, or a prefix of either that only one run has.
 * @throws ArtifactNotFoundError when no run matches; InvalidValueError when several do.
 */
export async function getRun(root: string | undefined, uuidOrPrefix: string): Promise<RunSummary> {
  if (typeof uuidOrPrefix !== "string" || uuidOrPrefix.length === 0) throw new InvalidValueError("getRun needs a run uuid or uuid prefix.", uuidOrPrefix);
  const { runsRoot, only } = await localRunsRoot(root);
  const runs = only && !only.size ? [] : summaries(runsRoot, currentRecords(runsRoot), only);
  const folder = (r: RunSummary): string => basename(r.path);
  let hits = runs.filter((r) => r.uuid === uuidOrPrefix || folder(r) === uuidOrPrefix);
  if (!hits.length) hits = runs.filter((r) => r.uuid.startsWith(uuidOrPrefix) || folder(r).startsWith(uuidOrPrefix));
  if (hits.length === 1) return hits[0]!;
  if (!hits.length) throw new ArtifactNotFoundError(`no run "${uuidOrPrefix}" under ${root ?? defaultOfflineRoot()}; listRuns() shows the uuids.`, uuidOrPrefix);
  throw new InvalidValueError(
    `"${uuidOrPrefix}" matches ${hits.length} runs (${hits.slice(0, 5).map((r) => r.uuid).join(", ")}${hits.length > 5 ? ", …" : ""}): give more characters of the uuid.`,
    uuidOrPrefix,
  );
}

import { existsSync, statSync } from "node:fs";
import { ArtifactNotFoundError, InvalidValueError } from "../errors.js";
import { parseQuery, queryFields, type QueryNode } from "./query.js";
import type { RunRecord } from "./run-record.js";
import { selectRows, withRunTable } from "./run-table.js";
import { defaultOfflineRoot, resolveRunsRoot } from "./runs-root.js";
import { parseSort, type SortKey } from "./sort.js";
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
   * Keep and use the index `<runsRoot>/.runtrail/index` (default true). With false every run
   * folder is read, and nothing is written.
   */
  index?: boolean;
  /**
   * Milliseconds the index's last look at every run folder is trusted (default 10,000). Runs
   * written through runtrail, runs added or removed, runs still going and the runs returned are
   * always current; within this time a run finished earlier and edited in place by another tool
   * is seen only once the listing returns it. 0 looks at every run folder now.
   */
  recheckMs?: number;
}

function checkCount(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new InvalidValueError(`${name} must be a whole number ≥ 0, got ${JSON.stringify(v)}.`, v);
  }
  return v;
}

/** The metric streams a query and sort name. */
function metricsNamed(where: QueryNode, keys: SortKey[]): string[] {
  const names = new Set<string>();
  for (const f of [...queryFields(where), ...keys.map((k) => k.field)]) if (f.base === "metrics") names.add(f.key!);
  return [...names];
}

/**
 * The records of every run under a runs root, each run folder looked at now (for readers that
 * need every run's metadata, such as resolving a run by name). Metric values may be partial.
 */
export function currentRecords(runsRoot: string): RunRecord[] {
  return withRunTable(runsRoot, { recheckMs: 0, metrics: [] }, (table) => table.rows().map((r) => table.record(r)));
}

/**
 * The local folder holding the runs of `root`. For `s3://`, the cache, with the folder names of
 * that listing and `recheckMs: 0`: the cache is written by the store, which keeps no change log.
 */
async function localRunsRoot(root: string | undefined): Promise<{ runsRoot: string; only?: Set<string>; recheckMs?: number }> {
  const given = root ?? defaultOfflineRoot();
  if (given.startsWith("s3://")) return { ...(await (await import("./s3-root.js")).cacheStoredRuns(given)), recheckMs: 0 };
  const runsRoot = resolveRunsRoot(given);
  if (!existsSync(runsRoot)) throw new ArtifactNotFoundError(`the runs root ${runsRoot} does not exist; pass the folder that holds runs/ (init()'s offlineRoot).`, given);
  if (!statSync(runsRoot).isDirectory()) throw new ArtifactNotFoundError(`${runsRoot} is a file, not a folder of runs; pass the folder that holds runs/ (init()'s offlineRoot).`, given);
  return { runsRoot };
}

/**
 * {@link listRuns} on a folder known to be a runs root (the dashboard's jail, a cache): no
 * `runs/` lookup. `only` keeps just those folder names.
 */
export async function listRunsIn(runsRoot: string, opts: ListRunsOptions = {}, only?: Set<string>): Promise<RunSummary[]> {
  const where = parseQuery(opts.query);
  const keys = parseSort(opts.sort);
  const limit = checkCount("limit", opts.limit);
  const offset = checkCount("offset", opts.offset) ?? 0;
  if (opts.recheckMs !== undefined && !(typeof opts.recheckMs === "number" && opts.recheckMs >= 0)) {
    throw new InvalidValueError(`recheckMs must be a number of milliseconds ≥ 0, got ${JSON.stringify(opts.recheckMs)}.`, opts.recheckMs);
  }
  if (only && !only.size) return [];
  return withRunTable(runsRoot, { index: opts.index, recheckMs: opts.recheckMs, metrics: metricsNamed(where, keys) }, (table) => {
    const page = table.settle(() => selectRows(table, where, keys, only, offset + (limit ?? Infinity)).slice(offset));
    return table.summaries(page);
  });
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
  const { runsRoot, only, recheckMs } = await localRunsRoot(root);
  return listRunsIn(runsRoot, { ...opts, recheckMs: recheckMs ?? opts.recheckMs }, only);
}

/**
 * One run's summary by uuid, run folder name, or a prefix of either that only one run has.
 * @throws ArtifactNotFoundError when no run matches; InvalidValueError when several do.
 */
export async function getRun(root: string | undefined, uuidOrPrefix: string): Promise<RunSummary> {
  if (typeof uuidOrPrefix !== "string" || uuidOrPrefix.length === 0) throw new InvalidValueError("getRun needs a run uuid or uuid prefix.", uuidOrPrefix);
  const { runsRoot, only, recheckMs } = await localRunsRoot(root);
  if (only && !only.size) throw new ArtifactNotFoundError(`no run "${uuidOrPrefix}" under ${root ?? defaultOfflineRoot()}; listRuns() shows the uuids.`, uuidOrPrefix);
  const { found, count, uuids } = withRunTable(runsRoot, { recheckMs, metrics: [] }, (table) => {
    const hits = table.settle(() => {
      const rows = table.rows();
      const candidates = only ? rows.filter((r) => only.has(r.id)) : rows;
      const exact = candidates.filter((r) => r.id === uuidOrPrefix || table.uuid(r) === uuidOrPrefix);
      return exact.length ? exact : candidates.filter((r) => r.id.startsWith(uuidOrPrefix) || table.uuid(r).startsWith(uuidOrPrefix));
    });
    return { found: hits.length === 1 ? table.summaries(hits)[0] : undefined, count: hits.length, uuids: hits.slice(0, 5).map((r) => table.uuid(r)) };
  });
  if (found) return found;
  if (!count) throw new ArtifactNotFoundError(`no run "${uuidOrPrefix}" under ${root ?? defaultOfflineRoot()}; listRuns() shows the uuids.`, uuidOrPrefix);
  throw new InvalidValueError(
    `"${uuidOrPrefix}" matches ${count} runs (${uuids.join(", ")}${count > 5 ? ", …" : ""}): give more characters of the uuid.`,
    uuidOrPrefix,
  );
}

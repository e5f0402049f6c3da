import { lstatSync, type Stats } from "node:fs";
import { sep } from "node:path";
import { readChanges, rotateChangeLog, startChangeLog } from "./change-log.js";
import { fieldValue, type FieldRef } from "./fields.js";
import { CorruptIndexError, type IndexSnapshot, type IndexState } from "./index-file.js";
import { loadIndex, NO_INDEX, saveIndex, type LoadedIndex } from "./index-store.js";
import { matchQuery, type QueryNode } from "./query.js";
import {
  dirFingerprint,
  fingerprint,
  metaFingerprint,
  metaStat,
  metricCell,
  needsRecheck,
  readRunRecord,
  readRunRecordIfRun,
  refreshLiveMetrics,
  settled,
  toSummary,
  withAllMetrics,
  withMetrics,
  type RunRecord,
} from "./run-record.js";
import { listRunFolders } from "./runs-root.js";
import { compareKeyed, tieBreak, type SortKey } from "./sort.js";
import type { RunSummary } from "./summary.js";

/**
 * How long a listing trusts the index's last check of every run folder, by default. Within it,
 * only the runs that can have changed are looked at (see {@link openRunTable}); past it, every
 * `run.plx.json` is `lstat`ed again.
 */
export const DEFAULT_RECHECK_MS = 10_000;

/** How one listing reads the runs root. */
export interface TableOptions {
  /** Use and keep the index (default true). */
  index?: boolean;
  /** See {@link DEFAULT_RECHECK_MS}; 0 checks every run folder on this listing. */
  recheckMs?: number;
  /** The metric streams the listing filters or sorts on: read for every run, the rest only for the runs shown. */
  metrics: string[];
  /** Ignore the index there is (it is damaged) and write a new one. */
  rebuild?: boolean;
}

/** One run as a listing holds it. */
export interface Row {
  id: string;
  /** Position of the row's record in the index file; -1 once the record is held in `rec`. */
  pos: number;
  rec?: RunRecord;
  /** Whether this listing has looked at the run's files: then its record is current. */
  checked: boolean;
  gone?: boolean;
  summary?: RunSummary;
}

/**
 * The runs of a root as one listing sees them: each row's record is taken from the index (and
 * parsed only when the listing needs it) or read from the run folder, and whatever was read is
 * saved back to the index by {@link RunTable.save}. A table that trusts its index is lazy: its
 * rows are the index's positions, and a row object is made only for a run the listing touches
 * (a fresh process pays for every object and string it makes).
 */
export class RunTable {
  /** Rows made so far: all of them (a checked table), or those not in the index file (a lazy one). */
  private list: Row[] = [];
  /** A lazy table's rows by position in the index file, made on demand. */
  private byPos?: Array<Row | undefined>;
  private every?: Row[];
  private readonly changed = new Map<string, RunRecord>();
  private removed = false;
  private readonly prefix: string;
  private recheck?: Set<number>;
  state: IndexState = { rootFp: "", checkedMs: 0, changes: null };

  constructor(
    readonly runsRoot: string,
    private readonly loaded: LoadedIndex,
    private readonly opts: TableOptions,
    readonly now: number,
  ) {
    this.prefix = runsRoot.endsWith(sep) ? runsRoot : runsRoot + sep;
  }

  private get snap(): IndexSnapshot {
    return this.loaded.snapshot!;
  }

  private at(pos: number): Row {
    return (this.byPos![pos] ??= { id: this.snap.id(pos), pos, checked: false });
  }

  private add(row: Row): void {
    this.list.push(row);
    this.every = undefined;
  }

  /** Every run's row (made now, for a lazy table). */
  rows(): Row[] {
    if (this.every) return this.every;
    const out: Row[] = [];
    if (this.byPos) for (let pos = 0; pos < this.byPos.length; pos++) out.push(this.at(pos));
    out.push(...this.list);
    return (this.every = this.removed ? out.filter((r) => !r.gone) : out);
  }

  record(row: Row): RunRecord {
    if (!row.rec) {
      const r = row.pos >= 0 ? this.snap.record(row.pos) : undefined;
      if (r) this.hold(row, r);
      else this.read(row);
    }
    return row.rec!;
  }

  summary(row: Row): RunSummary {
    return (row.summary ??= toSummary(this.runsRoot, this.record(row), this.now));
  }

  uuid(row: Row): string {
    return row.rec ? (row.rec.meta.uuid ?? row.id) : this.snap.uuid(row.pos);
  }

  /** The value a query or sort sees; metrics and created_at come from the index's columns without parsing the record. */
  value(row: Row, f: FieldRef): unknown {
    if (f.base === "metrics") {
      if (!row.rec) return this.snap.metricValue(f.key!, row.pos);
      const m = metricCell(row.rec, f.key!);
      return m == null || Number.isNaN(m.value) ? undefined : m.value;
    }
    if (f.base === "created_at" && !row.rec) return this.snap.created(row.pos);
    return fieldValue(this.summary(row), f);
  }

  /**
   * The rows that can be among the first `upTo` when sorted on a numeric `key`: those whose value
   * is at most the `upTo`-th best (from a native sort of the values; a missing value ranks last).
   * `undefined` when fewer than `upTo` runs have a value. A lazy table makes rows only for these.
   */
  narrow(key: SortKey, upTo: number, rows?: Row[]): Row[] | undefined {
    const f = key.field;
    const lazy = !rows && this.byPos;
    const base = lazy ? this.byPos!.length : 0;
    const pool = rows ?? this.list;
    const v = new Float64Array(base + pool.length);
    // Runs the listing has not touched take their value straight from the index's dense column.
    const dense = !lazy ? undefined : f.base === "metrics" ? this.snap.metricValues(f.key!) : f.base === "created_at" ? this.snap.createdValues() : undefined;
    const sign = key.desc ? -1 : 1;
    for (let i = 0; i < v.length; i++) {
      const row = i < base ? this.byPos![i] : pool[i - base]!;
      if (!row && dense) {
        v[i] = sign * dense[i]!;
        continue;
      }
      const x = row?.gone ? undefined : (this.value(row ?? this.at(i), f) as number | undefined);
      v[i] = x === undefined ? Number.NaN : sign * x;
    }
    if (upTo === 0) return [];
    if (upTo > v.length) return undefined;
    const kth = v.slice().sort()[upTo - 1]!; // NaN (missing) sorts last
    if (Number.isNaN(kth)) return undefined;
    const out: Row[] = [];
    for (let i = 0; i < v.length; i++) if (v[i]! <= kth) out.push(i < base ? this.at(i) : pool[i - base]!);
    return out;
  }

  /** Whether the table can narrow without making every row (see {@link narrow}). */
  get lazy(): boolean {
    return this.byPos !== undefined;
  }

  private hold(row: Row, r: RunRecord): void {
    row.rec = r;
    row.pos = -1;
    row.summary = undefined;
  }

  private update(row: Row, r: RunRecord): void {
    this.hold(row, r);
    this.changed.set(row.id, r);
  }

  private read(row: Row): void {
    row.checked = true;
    this.update(row, readRunRecord(this.runsRoot, row.id, this.opts.metrics));
  }

  /** Whether `run.plx.json` is as the row's record was read (a fresh or unknown fingerprint is never). */
  private unchanged(row: Row, st: Stats): boolean {
    if (!settled(st, this.now)) return false;
    if (row.rec) return row.rec.metaFp === fingerprint(st, this.now);
    return row.pos >= 0 && this.snap.fpIs(row.pos, st.ino, st.size, st.mtimeMs, st.ctimeMs);
  }

  private needsRecheck(row: Row): boolean {
    if (row.rec) return needsRecheck(row.rec);
    this.recheck ??= new Set(this.snap.recheck());
    return this.recheck.has(row.pos);
  }

  /**
   * Looks at a run's files: reads it again when its `run.plx.json` changed (or `force`), brings
   * a live run's metrics up to date, marks it gone when its folder no longer holds a run.
   * Returns whether the row changed.
   */
  check(row: Row, force = false, st = metaStat(this.prefix + row.id)): boolean {
    row.checked = true;
    if (st === undefined) {
      row.gone = this.removed = true;
      this.every = undefined;
      return true;
    }
    if (force || st === null || !this.unchanged(row, st)) {
      this.read(row);
      return true;
    }
    if (!this.needsRecheck(row)) return false;
    const rec = this.record(row);
    if (rec.metricFps === undefined) return false;
    const next = refreshLiveMetrics(this.runsRoot, rec);
    if (next) this.update(row, next);
    return next !== undefined;
  }

  /** Every run folder: listed, and each `run.plx.json` fingerprinted. */
  checkAll(): void {
    const snap = this.loaded.snapshot;
    let known = 0;
    const ids = snap?.ids();
    let cursor = 0;
    // The index lists the folders in the order the last full check found them, which `readdir`
    // keeps while the folder does not change: matched in step, with a map only past a mismatch.
    const position = (id: string): number => {
      if (ids?.[cursor] === id) return cursor++;
      const pos = snap?.position(id) ?? -1;
      if (pos >= 0) cursor = pos + 1;
      return pos;
    };
    for (const id of listRunFolders(this.runsRoot)) {
      const over = this.loaded.overrides.get(id);
      const row: Row = { id, pos: over ? -1 : position(id), rec: over, checked: true };
      if (over || row.pos >= 0) {
        const st = metaStat(this.prefix + id);
        if (st === undefined) continue; // no longer a run folder: counted as removed below
        known++;
        this.check(row, false, st);
      } else {
        // Not indexed: read at once (no lstat first; a folder without run.plx.json is not a run).
        const rec = readRunRecordIfRun(this.runsRoot, id, this.opts.metrics);
        if (!rec) continue;
        this.update(row, rec);
      }
      this.add(row);
    }
    if (known < this.indexedCount()) this.removed = true;
  }

  private indexedCount(): number {
    const snap = this.loaded.snapshot;
    let n = snap?.count ?? 0;
    for (const id of this.loaded.overrides.keys()) if (!snap || snap.position(id) < 0) n++;
    return n;
  }

  /** The index's runs as it has them; only the runs named in the change log and those still going are looked at. */
  checkChanged(named: Set<string>): void {
    const snap = this.snap;
    this.byPos = new Array<Row | undefined>(snap.count);
    const extra = new Map<string, Row>();
    const overridden: Row[] = [];
    for (const [id, rec] of this.loaded.overrides) {
      const pos = snap.position(id);
      const row = pos >= 0 ? this.at(pos) : { id, pos: -1, checked: false };
      this.hold(row, rec);
      overridden.push(row);
      if (pos < 0) {
        extra.set(id, row);
        this.add(row);
      }
    }
    for (const id of named) {
      const pos = snap.position(id);
      const row = pos >= 0 ? this.at(pos) : extra.get(id);
      if (row) this.check(row, true);
      else if (isRealFolder(this.prefix + id) && metaFingerprint(this.prefix + id) !== undefined) {
        const fresh: Row = { id, pos: -1, checked: false };
        this.read(fresh);
        this.add(fresh);
      }
    }
    for (const pos of snap.recheck()) {
      const row = this.at(pos);
      if (!row.checked) this.check(row);
    }
    for (const row of overridden) if (!row.checked && this.needsRecheck(row)) this.check(row);
  }

  /** Makes sure every row knows the listing's metrics (reading the streams a row never read). */
  fillMetrics(): void {
    const names = this.opts.metrics;
    if (!names.length) return;
    const snap = this.loaded.snapshot;
    const unknown = names.map((n) => (snap ? snap.unknown(n) : new Set<number>()));
    const fill = (row: Row | undefined): void => {
      if (!row || row.gone) return;
      const missing = names.filter((n, k) => (row.rec ? metricCell(row.rec, n) === undefined : unknown[k]!.has(row.pos)));
      if (missing.length) this.update(row, withMetrics(this.runsRoot, this.record(row), missing));
    };
    if (!this.byPos) {
      for (const row of this.rows()) fill(row);
      return;
    }
    for (const positions of unknown) for (const pos of positions) fill(this.at(pos));
    for (const row of this.byPos) if (row?.rec) fill(row);
    for (const row of this.list) fill(row);
  }

  /**
   * `pick()` — the runs a listing returns — with every picked run's files looked at: a run that
   * changed behind the index (an edit by another tool) is read again and `pick` run again, so
   * what is returned is current even when the rest of the index was trusted.
   */
  settle(pick: () => Row[]): Row[] {
    for (;;) {
      const picked = pick();
      let moved = false;
      for (const row of picked) if (!row.checked && this.check(row)) moved = true;
      if (!moved) return picked;
      this.fillMetrics();
    }
  }

  /** The summaries of these rows, every metric stream read. */
  summaries(rows: Row[]): RunSummary[] {
    return rows.map((row) => {
      const rec = this.record(row);
      if (!rec.complete) this.update(row, withAllMetrics(this.runsRoot, rec));
      return this.summary(row);
    });
  }

  /** Saves what this listing read to the index (nothing without one, or where it cannot be written). */
  save(): void {
    if (this.opts.index === false) return;
    const rewrite = this.removed || !this.loaded.snapshot;
    saveIndex(this.runsRoot, this.loaded, [...this.changed.values()], this.state, rewrite, () => this.rows().map((r) => this.record(r)));
  }

  /** Lets go of the index file. Rows not read by now are read from their folders if asked for. */
  close(): void {
    this.loaded.snapshot?.close();
  }
}

/** A folder reached without a symlink (as `readdir` lists run folders). */
function isRealFolder(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
}

/**
 * Runs `use` on the table of a root, then saves what was read to the index and lets go of it.
 * An index found damaged half-way through (a section that does not read) is set aside: `use`
 * runs again on the run folders alone, and the index is rebuilt.
 */
export function withRunTable<T>(runsRoot: string, opts: TableOptions, use: (table: RunTable) => T): T {
  try {
    return useTable(openRunTable(runsRoot, opts), use);
  } catch (err) {
    if (!(err instanceof CorruptIndexError)) throw err;
    return useTable(openRunTable(runsRoot, { ...opts, rebuild: true }), use);
  }
}

function useTable<T>(table: RunTable, use: (table: RunTable) => T): T {
  try {
    const out = use(table);
    table.save();
    return out;
  } finally {
    table.close();
  }
}

/**
 * Opens the runs of a root for one listing. What is looked at:
 * - every run folder (`readdir`, and an `lstat` of each `run.plx.json`) when there is no index,
 *   the runs root folder itself changed (runs added, removed or replaced), the change log was
 *   replaced, or the last such check is older than `recheckMs`;
 * - otherwise only the runs named in the runs root's change log since the last listing (every
 *   runtrail writer notes the runs whose `run.plx.json` it rewrites), the runs still going (their
 *   live values), and runs whose fingerprint was too fresh to trust;
 * - and, either way, every run the listing returns (see {@link RunTable.settle}).
 */
export function openRunTable(runsRoot: string, opts: TableOptions): RunTable {
  const now = Date.now();
  const useIndex = opts.index !== false;
  const loaded = useIndex && !opts.rebuild ? loadIndex(runsRoot) : NO_INDEX;
  const table = new RunTable(runsRoot, loaded, opts, now);
  try {
    detectChanges(table, loaded, opts, now);
  } catch (err) {
    table.close();
    throw err;
  }
  return table;
}

function detectChanges(table: RunTable, loaded: LoadedIndex, opts: TableOptions, now: number): void {
  const { runsRoot } = table;
  const useIndex = opts.index !== false;
  const st = loaded.state;
  if (useIndex && !loaded.snapshot) startChangeLog(runsRoot);
  const rootFp = dirFingerprint(runsRoot, now);
  let log = useIndex ? readChanges(runsRoot, st?.changes ?? null) : "reset";
  const recheckMs = opts.recheckMs ?? DEFAULT_RECHECK_MS;
  const full = !st || log === "reset" || rootFp === "" || rootFp !== st.rootFp || now < st.checkedMs || now - st.checkedMs >= recheckMs;
  if (log === "reset" && useIndex) log = readChanges(runsRoot, null);
  let mark = log === "reset" ? null : log.mark;
  if (full) {
    if (useIndex) mark = rotateChangeLog(runsRoot, mark);
    table.checkAll();
    table.state = { rootFp, checkedMs: now, changes: mark };
  } else {
    table.checkChanged((log as Exclude<typeof log, "reset">).names);
    table.state = { ...st!, changes: mark };
  }
  table.fillMetrics();
}

/** Fields whose value is always a number or missing: a sort on one can be narrowed with a typed-array sort. */
const NUMERIC = new Set(["metrics", "created_at", "started_at", "finished_at", "duration"]);

/**
 * Filters and sorts a table's rows, returning the first `upTo`. For a first page sorted on a
 * number (a metric, a time), the runs that can be on it are found first (see
 * {@link RunTable.narrow}) and only they are sorted in full: a listing's cost in a fresh process
 * is mostly JavaScript not yet optimised, so the fewer objects and comparisons the better.
 */
export function selectRows(table: RunTable, where: QueryNode, keys: SortKey[], only: Set<string> | undefined, upTo = Infinity): Row[] {
  const get = (row: Row, f: FieldRef): unknown => table.value(row, f);
  const all = "always" in where && !only;
  const first = keys[0];
  const numeric = first !== undefined && NUMERIC.has(first.field.base) && upTo !== Infinity;
  let rows = all && numeric && table.lazy ? table.narrow(first, upTo) : undefined;
  if (!rows) {
    rows = all ? table.rows() : table.rows().filter((r) => (!only || only.has(r.id)) && ("always" in where || matchQuery(where, r, get)));
    if (numeric && upTo < rows.length) rows = table.narrow(first, upTo, rows) ?? rows;
  }
  const keyed: Keyed[] = rows.map((row) => ({ row, k: keys.map((k) => get(row, k.field)) }));
  keyed.sort((a, b) => compareKeyed(keys, a.k, b.k) || tieBreak(table.uuid(a.row), a.row.id, table.uuid(b.row), b.row.id));
  return (keyed.length > upTo ? keyed.slice(0, upTo) : keyed).map((e) => e.row);
}

interface Keyed {
  row: Row;
  k: unknown[];
}

import { existsSync } from "node:fs";
import { CorruptRunError, NotRegularFileError, RunWriteError } from "./errors.js";
import { readRegularTextSync } from "./fs-safe.js";
import { writeFileAtomicSync } from "./fsutil.js";
import { compactJson } from "./events/pyformat.js";
import { runLockPath, withRunLock } from "./run-lock.js";
import { isStreamRecord, LineageNameConflictError, streamOfRecord, uniqueLineageNames } from "./lineage-names.js";

/** Polyaxon's `V1RunArtifact` (fields in declaration order, which is also the JSON key order). */
export interface V1RunArtifact {
  name?: string;
  kind?: string;
  path?: string;
  state?: string;
  summary?: Record<string, unknown>;
  meta_info?: Record<string, unknown>;
  run?: string;
  connection?: string;
  is_input?: boolean;
}

const FIELD_ORDER = ["name", "kind", "path", "state", "summary", "meta_info", "run", "connection", "is_input"] as const;

function ordered(rec: V1RunArtifact): V1RunArtifact {
  const out: Record<string, unknown> = {};
  for (const k of FIELD_ORDER) if (rec[k] !== undefined && rec[k] !== null) out[k] = rec[k];
  return out as V1RunArtifact;
}

/**
 * `lineages.plx.json`: a compact JSON array of `V1RunArtifact`. A record is keyed by whether
 * it describes an event stream (`events/…`, `resources/…`; then by the kind and name of its
 * file) or a reference (its kind and name): logging the same again updates it. Names are unique
 * in the file, as Polyaxon needs (see {@link uniqueLineageNames}): a stream that shares its name
 * with another record is written with a suffix, a reference that would share its name with a
 * reference of another kind is refused. The file is rewritten atomically on every change.
 *
 * Several processes may share a run: each write happens under the run's lock and merges by
 * key — the records this process changed since its last write replace theirs, every other
 * record is taken from the file — so no process drops another's records.
 */
export class LineageStore {
  private readonly records = new Map<string, V1RunArtifact>();
  /** Keys upserted since the last write. */
  private readonly dirty = new Set<string>();
  private readonly lock: string;

  constructor(private readonly file: string) {
    this.lock = runLockPath(file);
    for (const [k, rec] of readLineage(file) ?? []) this.records.set(k, rec);
  }

  /** The record of the event stream `events/<kind>/<name>.plx` (kind `system` for resources). */
  getStream(kind: string, name: string): V1RunArtifact | undefined {
    return this.records.get(key(true, kind, name));
  }

  /** The reference record (not an event stream) of this kind and name. */
  getRef(kind: string, name: string): V1RunArtifact | undefined {
    return this.records.get(key(false, kind, name));
  }

  list(): V1RunArtifact[] {
    return [...this.records.values()];
  }

  get size(): number {
    return this.records.size;
  }

  /** @throws LineageNameConflictError when a reference of another kind already has this name. */
  assertRefNameFree(kind: string, name: string): void {
    for (const rec of this.records.values()) {
      if (rec.name === name && rec.kind !== kind && !isStreamRecord(rec)) throw new LineageNameConflictError(name, kind, rec.kind ?? "");
    }
  }

  /** Adds or replaces the record with the same (kind, name) and persists. @throws LineageNameConflictError (see {@link assertRefNameFree}) */
  upsert(rec: V1RunArtifact, persist = true): void {
    if (!isStreamRecord(rec) && rec.kind !== undefined && rec.name !== undefined) this.assertRefNameFree(rec.kind, rec.name);
    const k = keyOf(rec);
    this.records.set(k, ordered(rec));
    this.dirty.add(k);
    if (persist) this.persist();
  }

  persist(): void {
    this.update(() => undefined);
  }

  /** Writes now if anything changed since the last write. */
  persistPending(): void {
    if (this.dirty.size) this.persist();
  }

  private soon: NodeJS.Immediate | undefined;
  /** Where a deferred write's failure goes (the run reports it like a failed timer flush). Default: a warning. */
  onBackgroundError: (err: RunWriteError) => void = (err) =>
    process.emitWarning(`runtrail could not write the lineage: ${err.message}`, { code: "RUNTRAIL_WRITE_FAILED" });
  /**
   * Writes once the current turn of the event loop is done, so changes made together (a new
   * version, then the policy's selection) cost one write. A write made meanwhile makes it a no-op.
   */
  persistSoon(): void {
    this.soon ??= setImmediate(() => {
      this.soon = undefined;
      if (this.dirty.size === 0) return;
      try {
        this.persist();
      } catch (err) {
        // The records stay dirty: the next write (or the run's end) retries them.
        this.onBackgroundError(err as RunWriteError);
      }
    });
  }

  /**
   * Under the run's lock: takes in the records other processes wrote, runs `change` (whose
   * `upsert(…, false)` calls are written with the rest), and writes the merged file.
   * @throws RunWriteError
   */
  update(change: () => void): void {
    withRunLock(this.lock, () => {
      const onDisk = readLineage(this.file, true);
      if (onDisk) {
        const merged = new Map<string, V1RunArtifact>();
        for (const [k, rec] of onDisk) merged.set(k, this.dirty.has(k) ? this.records.get(k)! : rec);
        for (const [k, rec] of this.records) if (!merged.has(k)) merged.set(k, rec);
        this.records.clear();
        for (const [k, rec] of merged) this.records.set(k, rec);
      }
      change();
      if (this.records.size === 0) return; // Polyaxon only writes a non-empty lineage file.
      try {
        writeFileAtomicSync(this.file, compactJson(uniqueLineageNames(this.list())));
      } catch (err) {
        throw new RunWriteError(`could not write ${this.file}: ${(err as Error).message}`, this.file, err);
      }
      this.dirty.clear();
    });
  }
}

/** The records of a lineage file by key; undefined when there is none (or, with `lenient`, when it cannot be read). */
function readLineage(file: string, lenient = false): Map<string, V1RunArtifact> | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readRegularTextSync(file, "reading the run's lineage"));
  } catch (err) {
    if (lenient) return undefined; // our own complete copy replaces it
    if (err instanceof NotRegularFileError) throw err;
    throw new CorruptRunError(`${file} is not valid JSON; restore it or remove it to start the lineage afresh.`, file, err);
  }
  if (!Array.isArray(parsed)) {
    if (lenient) return undefined;
    throw new CorruptRunError(`${file} must hold a JSON array of lineage records.`, file);
  }
  const out = new Map<string, V1RunArtifact>();
  for (const rec of parsed as V1RunArtifact[]) out.set(keyOf(rec), rec);
  return out;
}

function key(stream: boolean, kind: string | undefined, name: string | undefined): string {
  return `${stream ? "e" : "r"}\u0000${kind ?? ""}\u0000${name ?? ""}`;
}

function keyOf(rec: V1RunArtifact): string {
  const stream = streamOfRecord(rec);
  // A stream's written name may carry a suffix; its file names it.
  return stream ? key(true, rec.kind, stream.name) : key(false, rec.kind, rec.name);
}

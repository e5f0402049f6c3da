import { pyIsoTimestamp } from "./events/pyformat.js";
import type { LineageStore, V1RunArtifact } from "./lineage.js";

/** The newest version of a versioned stream, as kept in its lineage record's summary. */
export interface LatestVersion {
  step: number;
  path: string;
  hash?: string;
  summary?: Record<string, unknown>;
}

/** The best version under a selection policy. */
export interface BestVersion {
  step: number;
  path: string;
  monitor: string;
  /** The policy's direction for `monitor`, so every reader ranks it the same way. */
  mode?: "min" | "max";
  value: number;
  summary?: Record<string, unknown>;
}

/** The version whose weights were loaded back into the model when training ended (`restoreBestWeights`). */
export interface RestoredVersion {
  step: number;
  path: string;
  monitor: string;
  value: number;
}

/** What runtrail keeps about one `events/<kind>/<name>.plx` stream of versioned assets. */
export interface VersionedStreamState {
  kind: string;
  name: string;
  count: number;
  firstStep?: number;
  lastStep?: number;
  firstMs?: number;
  lastMs?: number;
  framework?: string;
  latest?: LatestVersion;
  best?: BestVersion;
  versions?: number[];
  restored?: RestoredVersion;
}

const POLYAXON_KEYS = new Set(["is_event", "step", "timestamp", "metric"]);

/**
 * Keeps the lineage record of every versioned stream (one per `events/<kind>/<name>.plx`) up to
 * date as versions are added, selected and pruned: the summary Polyaxon computes (`is_event`,
 * `step`, `timestamp`) plus `framework`, `latest`, and, when a policy selects, `best` and
 * `versions`.
 */
export class VersionedStreams {
  private readonly states = new Map<string, VersionedStreamState>();

  constructor(private readonly lineage: LineageStore) {}

  /** The state of a stream, rebuilt from its lineage record when this process has not touched it yet. */
  get(kind: string, name: string): VersionedStreamState {
    const key = `${kind}/${name}`;
    let st = this.states.get(key);
    if (st) return st;
    st = { kind, name, count: 0 };
    const rec = this.lineage.getStream(kind, name);
    const s = rec?.summary as Record<string, any> | undefined;
    if (s) {
      if (s.step) {
        st.count = s.step.count ?? 0;
        st.firstStep = s.step.min;
        st.lastStep = s.step.max;
      }
      if (s.timestamp) {
        st.firstMs = Date.parse(s.timestamp.min);
        st.lastMs = Date.parse(s.timestamp.max);
      }
      if (typeof s.framework === "string") st.framework = s.framework;
      if (s.latest) st.latest = s.latest;
      if (s.best) st.best = s.best;
      if (Array.isArray(s.versions)) st.versions = s.versions;
      if (s.restored) st.restored = s.restored;
    }
    this.states.set(key, st);
    return st;
  }

  /** Records a new row (already written) and its version as the latest; the lineage is written at the end of this turn. */
  added(kind: string, name: string, latest: LatestVersion, ms: number, framework?: string): VersionedStreamState {
    const st = this.get(kind, name);
    st.count++;
    st.firstStep ??= latest.step;
    st.lastStep = latest.step;
    st.firstMs ??= ms;
    st.lastMs = ms;
    if (framework !== undefined) st.framework = framework;
    st.latest = latest;
    if (st.versions && !st.versions.includes(latest.step)) st.versions = [...st.versions, latest.step].sort((a, b) => a - b);
    this.lineage.upsert(this.record(st), false);
    this.lineage.persistSoon(); // a checkpoint policy's selection usually follows at once
    return st;
  }

  /** Sets the policy's selection: the best version and the steps still on disk. */
  select(kind: string, name: string, selection: { best?: BestVersion; versions?: number[] }): void {
    const st = this.get(kind, name);
    if (selection.best) st.best = selection.best;
    else delete st.best;
    if (selection.versions) st.versions = [...selection.versions].sort((a, b) => a - b);
    this.persist(st);
  }

  /** Records the version whose weights were loaded back into the model at the end of training. */
  restored(kind: string, name: string, version: RestoredVersion): void {
    const st = this.get(kind, name);
    st.restored = version;
    this.persist(st);
  }

  /** Sets the hash of a version once it is computed (in the background for large assets). */
  hashed(kind: string, name: string, step: number, hash: string): void {
    const st = this.get(kind, name);
    let changed = false;
    if (st.latest?.step === step && st.latest.hash !== hash) {
      st.latest = { ...st.latest, hash };
      changed = true;
    }
    if (!changed) return;
    this.lineage.upsert(this.record(st), false);
    this.lineage.persistSoon();
  }

  /** The lineage record for a stream, merging Polyaxon's summary of the file with our own keys. */
  record(st: VersionedStreamState, polyaxonSummary?: Record<string, unknown>): V1RunArtifact {
    const summary: Record<string, unknown> = polyaxonSummary ? { ...polyaxonSummary } : { is_event: true };
    if (!polyaxonSummary) {
      if (st.firstStep !== undefined) summary.step = { count: st.count, min: st.firstStep, max: st.lastStep };
      if (st.firstMs !== undefined) summary.timestamp = { min: pyIsoTimestamp(st.firstMs), max: pyIsoTimestamp(st.lastMs!) };
    }
    if (st.framework !== undefined || st.kind === "model") summary.framework = st.framework ?? null;
    if (st.latest) summary.latest = st.latest;
    if (st.best) summary.best = st.best;
    if (st.versions) summary.versions = st.versions;
    if (st.restored) summary.restored = st.restored;
    return { name: st.name, kind: st.kind, path: `events/${st.kind}/${st.name}.plx`, summary, is_input: false };
  }

  /** Our own keys of an existing record's summary, to keep when Polyaxon's part is recomputed. */
  static extraKeys(rec: V1RunArtifact | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec?.summary ?? {})) if (!POLYAXON_KEYS.has(k)) out[k] = v;
    return out;
  }

  private persist(st: VersionedStreamState): void {
    this.lineage.upsert(this.record(st));
  }
}

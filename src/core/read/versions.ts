import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { ArtifactNotFoundError, CorruptRunError } from "../errors.js";
import { parseEvents, type EventRow } from "../events/reader.js";
import { localRunPath } from "../load-run.js";
import { pathSize } from "../fsutil.js";
import { readRegularText, readRegularTextSync } from "../fs-safe.js";
import { prunedStepsOfRow, prunedVersions } from "../pruned-versions.js";
import type { V1RunArtifact } from "../lineage.js";
import type { S3StoreOptions } from "../../store/s3-location.js";
import { assertRealpathInside, eventPath, isPathInside, RunLayout } from "../paths.js";
import { metricDirection, type Direction } from "./direction.js";

/** One version of a versioned stream (`events/<kind>/<name>.plx` row + `assets/<kind>/<name>_<step>`). */
export interface StreamVersion {
  step: number | null;
  /** ISO time of the row. */
  timestamp: string;
  framework: string | null;
  /** Run-relative path of the asset (`assets/model/model_3`). */
  path: string;
  /** Absolute path of the asset when it is on disk, else null. */
  absPath: string | null;
  /**
   * The version's metrics: `spec.metrics` when the row has that object (checkpoint hook, tfjs callback),
   * else the numeric entries of `spec` (a plain `logModel` summary).
   */
  metrics: Record<string, number>;
  /** The row's whole `spec` (the caller's summary: an ONNX signature, the epoch, …). */
  spec: Record<string, unknown>;
  /** Bytes on disk (a folder's files summed) when asked for with `sizes`; null otherwise or when removed. */
  size: number | null;
  /** Whether the asset is still on disk (see {@link versionOnDisk}). */
  exists: boolean;
  best: boolean;
  latest: boolean;
}

/** The best version as the stream's lineage records it (set by a checkpoint policy with `monitor`). */
export interface RecordedBest {
  step: number;
  monitor?: string;
  value?: number;
  /** The direction the policy ranked `monitor` by (`best.mode`, else the one rule's default). */
  mode?: Direction;
}

/** A versioned stream read back: every version, which are on disk, the best and the latest. */
export interface VersionedStreamView {
  /** The local run folder read (for an `s3://` run, its local cache). */
  runPath: string;
  kind: string;
  name: string;
  framework: string | null;
  /** One entry per step (a step saved again keeps its last row), in file order. */
  versions: StreamVersion[];
  /** The lineage's `best`, or null when no policy selected one. */
  best: RecordedBest | null;
  /** The newest step still on disk, or null. */
  latestStep: number | null;
  /** The stream's lineage record, or null before it is written. */
  lineage: V1RunArtifact | null;
}

function record(obj: unknown): Record<string, unknown> {
  return obj && typeof obj === "object" && !Array.isArray(obj) ? (obj as Record<string, unknown>) : {};
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Keys of a spec that describe the file rather than measure the model. */
const NOT_METRICS = new Set(["step", "sizeBytes", "irVersion", "modelVersion"]);

/** The metrics of a version from its row's `spec` (see {@link StreamVersion.metrics}). */
export function specMetrics(spec: Record<string, unknown>): Record<string, number> {
  // A `metrics` object (even an empty one, a checkpoint saved without metrics) is the whole answer.
  const nested = record(spec.metrics);
  const source = spec.metrics === nested ? nested : spec;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(source)) {
    if (typeof v === "number" && (source === nested || !NOT_METRICS.has(k))) out[k] = v;
  }
  return out;
}

/**
 * THE rule for "this version still exists": its row names a run-relative path (no `..`, not
 * absolute) that is on disk and, symlinks resolved, inside the run. Returns the real path, or
 * undefined. Every reader of versions (checkpoint policies, `loadCheckpoint`, `runtrail show`,
 * the dashboard) asks this one function (through {@link versionsFromRows}, which also honours
 * the companion rows that mark pruned steps).
 */
export function versionOnDisk(runPath: string, rowValue: unknown): string | undefined {
  const rel = record(rowValue).path;
  if (typeof rel !== "string" || rel.length === 0 || rel.includes("\0") || isAbsolute(rel)) return undefined;
  if (rel.split("/").some((s) => s === "" || s === "." || s === ".." || s.includes("\\"))) return undefined;
  try {
    const realRun = realpathSync(runPath);
    const real = realpathSync(join(runPath, rel));
    return isPathInside(realRun, real) ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The lineage record of a stream: matched by its event path, else by kind and name. */
export function streamLineage(lineage: readonly V1RunArtifact[], kind: string, name: string): V1RunArtifact | null {
  const path = `events/${kind}/${name}.plx`;
  return lineage.find((r) => r.path === path) ?? lineage.find((r) => r.kind === kind && r.name === name) ?? null;
}

/**
 * Builds the view of a stream from its rows and lineage record (no I/O besides the existence
 * checks). The latest version is the newest step on disk; the best is the lineage's `best`.
 */
export function versionsFromRows(runPath: string, kind: string, name: string, rows: readonly EventRow[], rec: V1RunArtifact | null): VersionedStreamView {
  const summary = record(rec?.summary);
  const bestRec = record(summary.best);
  const bestStep = num(bestRec.step);
  const byStep = new Map<number, number>();
  const versions: StreamVersion[] = [];
  const { pruned } = prunedVersions(rows);
  for (const r of rows) {
    if (prunedStepsOfRow(r.value)) continue; // a companion row marks pruned steps; it is no version
    const v = record(r.value);
    const abs = r.step !== null && pruned.has(r.step) ? undefined : versionOnDisk(runPath, v);
    const spec = record(v.spec);
    const version: StreamVersion = {
      step: r.step,
      timestamp: r.timestamp.toISOString(),
      framework: typeof v.framework === "string" ? v.framework : null,
      path: typeof v.path === "string" ? v.path : "",
      absPath: abs ?? null,
      metrics: specMetrics(spec),
      spec,
      size: null,
      exists: abs !== undefined,
      best: false,
      latest: false,
    };
    const at = r.step === null ? undefined : byStep.get(r.step);
    if (at === undefined) {
      if (r.step !== null) byStep.set(r.step, versions.length);
      versions.push(version);
    } else versions[at] = version;
  }
  let latestStep: number | null = null;
  for (const v of versions) {
    if (v.step !== null && v.exists && (latestStep === null || v.step > latestStep)) latestStep = v.step;
  }
  for (const v of versions) {
    v.best = bestStep !== null && v.step === bestStep;
    v.latest = latestStep !== null && v.step === latestStep;
  }
  const monitor = typeof bestRec.monitor === "string" ? bestRec.monitor : undefined;
  const value = num(bestRec.value);
  const best: RecordedBest | null =
    bestStep === null
      ? null
      : {
          step: bestStep,
          ...(monitor !== undefined && { monitor, mode: metricDirection(monitor, bestRec.mode) }),
          ...(value !== null && { value }),
        };
  const framework = typeof summary.framework === "string" ? summary.framework : (versions.at(-1)?.framework ?? null);
  return { runPath, kind, name, framework, versions, best, latestStep, lineage: rec };
}

/** Options of {@link readVersions}. */
export interface ReadVersionsOptions {
  /** The run's lineage records when the caller already has them (else `lineages.plx.json` is read). */
  lineage?: readonly V1RunArtifact[];
  /** Also sum the bytes of each version on disk (a folder's files). Default false. */
  sizes?: boolean;
  /** Endpoint and credentials for an `s3://` run (default: the standard AWS chain and env). */
  s3?: S3StoreOptions;
}

/**
 * The lineage records of a local run folder (`lineages.plx.json`; empty when it does not exist yet).
 * @throws CorruptRunError when the file cannot be parsed.
 */
export function readRunLineage(runPath: string): V1RunArtifact[] {
  const file = join(runPath, RunLayout.lineages);
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readRegularTextSync(file, "reading the lineage")) as unknown;
    return Array.isArray(parsed) ? (parsed as V1RunArtifact[]) : [];
  } catch (err) {
    throw new CorruptRunError(`${file} cannot be parsed as JSON.`, file, err);
  }
}

function streamFile(runPath: string, kind: string, name: string): string {
  const file = eventPath(runPath, kind, name);
  assertRealpathInside(runPath, file, "event stream");
  return file;
}

function notFound(runPath: string, kind: string, name: string, err: unknown): never {
  throw new ArtifactNotFoundError(`run ${runPath} has no ${kind} stream named "${name}" (no events/${kind}/${name}.plx).`, name, err);
}

/**
 * One versioned stream of a run folder (or of a run in object storage, `s3://bucket/prefix/<uuid>`,
 * read through its local cache as `loadRun` does) — its versions (step, framework, metrics, whether
 * still on disk), the best one the lineage records, and the newest one on disk — read from the
 * event rows and the lineage, so it works on a live run, an ended run or a copied folder.
 *
 * @throws ArtifactNotFoundError when the run has no such stream; PathEscapeError when the event
 * file leads outside the run; CorruptRunError when a row in the middle cannot be parsed.
 * @example
 * const view = await readVersions("./plx/runs/<uuid>", "model", "clf");
 * view.versions.filter((v) => v.exists).map((v) => v.step); // [3, 7, 9]
 */
export async function readVersions(runOrUri: string, kind: string, name: string, opts: ReadVersionsOptions = {}): Promise<VersionedStreamView> {
  const runPath = await localRunPath(runOrUri, opts.s3);
  const file = streamFile(runPath, kind, name);
  let text: string;
  try {
    text = await readRegularText(file, "reading a versioned stream");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") notFound(runPath, kind, name, err);
    throw err;
  }
  const rows = parseEvents(kind, text, file).rows;
  const view = versionsFromRows(runPath, kind, name, rows, streamLineage(opts.lineage ?? readRunLineage(runPath), kind, name));
  if (opts.sizes) {
    await Promise.all(view.versions.map(async (v) => (v.size = v.absPath === null ? null : await pathSize(v.absPath).catch(() => null))));
  }
  return view;
}

/** {@link readVersions} synchronously, without sizes (for constructors such as `CheckpointManager`). */
export function readVersionsSync(runPath: string, kind: string, name: string, opts: Pick<ReadVersionsOptions, "lineage"> = {}): VersionedStreamView {
  const file = streamFile(runPath, kind, name);
  let text: string;
  try {
    text = readRegularTextSync(file, "reading a versioned stream");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") notFound(runPath, kind, name, err);
    throw err;
  }
  const rows = parseEvents(kind, text, file).rows;
  return versionsFromRows(runPath, kind, name, rows, streamLineage(opts.lineage ?? readRunLineage(runPath), kind, name));
}

/** One image of an image stream; `path` is run-relative. */
export interface ImageVersion {
  step: number | null;
  timestamp: string;
  path: string;
  width: number | null;
  height: number | null;
  /** Whether the image file is still on disk (see {@link versionOnDisk}). */
  exists: boolean;
}

/**
 * Every image of an image stream of a local run folder, in logged order.
 * @throws ArtifactNotFoundError when the run has no such stream.
 * @example (await readImageVersions(runPath, "sample")).map((i) => i.path); // ["assets/image/sample_3.png"]
 */
export async function readImageVersions(runPath: string, name: string): Promise<ImageVersion[]> {
  const file = streamFile(runPath, "image", name);
  let text: string;
  try {
    text = await readRegularText(file, "reading a versioned stream");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") notFound(runPath, "image", name, err);
    throw err;
  }
  return parseEvents("image", text, file).rows.map((r) => {
    const v = record(r.value);
    return {
      step: r.step,
      timestamp: r.timestamp.toISOString(),
      path: typeof v.path === "string" ? v.path : "",
      width: num(v.width),
      height: num(v.height),
      exists: versionOnDisk(runPath, v) !== undefined,
    };
  });
}

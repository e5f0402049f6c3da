import type { V1RunArtifact } from "../core/lineage.js";
import { pathSize } from "../core/fsutil.js";
import { readRegularText } from "../core/fs-safe.js";
import { prunedStepsOfRow } from "../core/pruned-versions.js";
import { parseEvents, type EventRow } from "../core/events/reader.js";
import type { ImageValue, ModelValue } from "../core/events/values.js";
import type { RootJail } from "./paths.js";

/** One checkpoint of a versioned model stream. */
export interface ModelVersion {
  step: number | null;
  timestamp: string;
  framework: string | null;
  /** Run-relative path of the asset (`assets/model/model_3`). */
  path: string;
  /**
   * The version's metrics: `spec.metrics` when the row has it (checkpoint hook, tfjs callback),
   * else the numeric entries of `spec` (a plain `logModel` summary).
   */
  metrics: Record<string, number>;
  /** The row's whole `spec` (the caller's summary: an ONNX signature, opsets, …). */
  spec: Record<string, unknown>;
  /** Bytes on disk (a folder's files summed); null when retention removed it. */
  size: number | null;
  exists: boolean;
  best: boolean;
  latest: boolean;
}

/** A versioned model stream (`events/model/<name>.plx`) with its lineage record. */
export interface ModelStream {
  name: string;
  framework: string | null;
  versions: ModelVersion[];
  best: { step: number; monitor?: string; value?: number } | null;
  latestStep: number | null;
  lineage: V1RunArtifact | null;
}

/** One image of an image stream; `path` is run-relative and served under `/api/runs/:run/assets/…`. */
export interface ImageVersion {
  step: number | null;
  timestamp: string;
  path: string;
  width: number | null;
  height: number | null;
  exists: boolean;
}

function record(obj: unknown): Record<string, unknown> {
  return obj && typeof obj === "object" && !Array.isArray(obj) ? (obj as Record<string, unknown>) : {};
}

/** Keys of a spec that describe the file rather than measure the model. */
const NOT_METRICS = new Set(["step", "sizeBytes", "irVersion", "modelVersion"]);

/** The metrics of a version from its row's `spec` (see {@link ModelVersion.metrics}). */
export function specMetrics(spec: Record<string, unknown>): Record<string, number> {
  const nested = record(spec.metrics);
  const source = Object.keys(nested).length ? nested : spec;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(source)) {
    if (typeof v === "number" && (source === nested || !NOT_METRICS.has(k))) out[k] = v;
  }
  return out;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Reads one stream through the jail (the checked real path is the one read). */
async function readStream(jail: RootJail, runDir: string, kind: string, name: string): Promise<EventRow[]> {
  const file = jail.eventFile(runDir, kind, name);
  const rows = parseEvents(kind, await readRegularText(file, "reading a stream"), `${kind}/${name}.plx`).rows;
  return rows.filter((r) => !prunedStepsOfRow(r.value)); // a pruned-versions companion row is no version
}

/** The lineage record of a stream: matched by its event path, else by kind and name. */
export function streamLineage(lineage: V1RunArtifact[], kind: string, name: string): V1RunArtifact | null {
  const path = `events/${kind}/${name}.plx`;
  return lineage.find((r) => r.path === path) ?? lineage.find((r) => r.kind === kind && r.name === name) ?? null;
}

/**
 * Every version of one model stream: step, framework, metrics (from the row's `spec`), size on
 * disk, and the best/latest marks from the stream's lineage summary (latest falls back to the
 * highest step when the lineage has not been written yet).
 */
export async function modelStream(jail: RootJail, runDir: string, name: string, lineage: V1RunArtifact[]): Promise<ModelStream> {
  const rows = await readStream(jail, runDir, "model", name);
  const rec = streamLineage(lineage, "model", name);
  const summary = record(rec?.summary);
  const bestRec = record(summary.best);
  const bestStep = num(bestRec.step);
  let latestStep = num(record(summary.latest).step);
  if (latestStep === null) {
    for (const r of rows) if (r.step !== null && (latestStep === null || r.step > latestStep)) latestStep = r.step;
  }
  const versions: ModelVersion[] = [];
  for (const r of rows) {
    const v = record(r.value) as Partial<ModelValue>;
    const path = typeof v.path === "string" ? v.path : "";
    const abs = jail.storedPath(runDir, path);
    const size = abs ? await pathSize(abs).catch(() => null) : null;
    versions.push({
      step: r.step,
      timestamp: r.timestamp.toISOString(),
      framework: typeof v.framework === "string" ? v.framework : null,
      path,
      metrics: specMetrics(record(v.spec)),
      spec: record(v.spec),
      size,
      exists: size !== null,
      best: bestStep !== null && r.step === bestStep,
      latest: latestStep !== null && r.step === latestStep,
    });
  }
  const framework = typeof summary.framework === "string" ? summary.framework : (versions.at(-1)?.framework ?? null);
  const best = bestStep === null ? null : { step: bestStep, ...(typeof bestRec.monitor === "string" ? { monitor: bestRec.monitor } : {}), ...(num(bestRec.value) !== null ? { value: num(bestRec.value)! } : {}) };
  return { name, framework, versions, best, latestStep, lineage: rec };
}

/** Every image of one image stream, in logged order. */
export async function imageStream(jail: RootJail, runDir: string, name: string): Promise<ImageVersion[]> {
  const rows = await readStream(jail, runDir, "image", name);
  return rows.map((r) => {
    const v = record(r.value) as Partial<ImageValue>;
    const path = typeof v.path === "string" ? v.path : "";
    return {
      step: r.step,
      timestamp: r.timestamp.toISOString(),
      path,
      width: num(v.width),
      height: num(v.height),
      exists: jail.storedPath(runDir, path) !== undefined,
    };
  });
}

/** Rows of a curve or confusion stream (the last `limit` ones), with ISO timestamps. */
export async function valueStream(jail: RootJail, runDir: string, kind: "curve" | "confusion", name: string, limit = 200): Promise<Array<{ step: number | null; timestamp: string; value: unknown }>> {
  const rows = await readStream(jail, runDir, kind, name);
  return rows.slice(-limit).map((r) => ({ step: r.step, timestamp: r.timestamp.toISOString(), value: r.value }));
}

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compactJson, pyFloatRepr, pyIsoTimestamp, pyTimestamp } from "../../src/core/events/pyformat.js";

/** One run of a generated sweep, written straight to files in Polyaxon's format (no `init()`: 10k runs in seconds). */
export interface SweepRunSpec {
  uuid: string;
  name?: string;
  project?: string;
  status: "created" | "running" | "succeeded" | "failed" | "stopped";
  tags?: string[];
  /** Epoch ms of creation (= start); a finished run ends `durationS` later. */
  createdMs: number;
  durationS?: number;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  /** Metric name → values at steps 0, 1, 2, … */
  metrics?: Record<string, number[]>;
}

const FINAL = new Set(["succeeded", "failed", "stopped"]);

/** `run.plx.json` as `RunMetaStore` writes it. */
export function sweepMeta(spec: SweepRunSpec): Record<string, unknown> {
  const created = pyIsoTimestamp(spec.createdMs);
  const meta: Record<string, unknown> = {
    uuid: spec.uuid,
    ...(spec.name !== undefined && { name: spec.name }),
    ...(spec.tags !== undefined && { tags: spec.tags }),
    ...(spec.project !== undefined && { project: spec.project }),
    kind: "job",
    runtime: "job",
    is_managed: false,
    managed_by: "user",
    status: spec.status,
    status_conditions: [],
    created_at: created,
    started_at: created,
    wait_time: 0,
    meta_info: { has_metrics: true },
    inputs: spec.inputs ?? {},
    outputs: spec.outputs ?? {},
  };
  if (FINAL.has(spec.status)) {
    const d = spec.durationS ?? 1;
    meta.finished_at = pyIsoTimestamp(spec.createdMs + d * 1000);
    meta.updated_at = meta.finished_at;
    meta.duration = d;
  }
  return meta;
}

/** A metric file's bytes: header, one row per value, no trailing newline (as traceml writes). */
export function metricFile(values: number[], t0: number): string {
  let s = "step|timestamp|metric";
  for (let i = 0; i < values.length; i++) s += `\n${i}|${pyTimestamp(t0 + i * 1000)}|${pyFloatRepr(values[i]!)}`;
  return s;
}

/** Writes one run folder under `runsRoot` (folder name = uuid). Returns its path. */
export function writeSweepRun(runsRoot: string, spec: SweepRunSpec): string {
  const dir = join(runsRoot, spec.uuid);
  mkdirSync(join(dir, "events", "metric"), { recursive: true });
  for (const [name, values] of Object.entries(spec.metrics ?? {})) writeFileSync(join(dir, "events", "metric", `${name}.plx`), metricFile(values, spec.createdMs));
  writeFileSync(join(dir, "run.plx.json"), compactJson(sweepMeta(spec)));
  return dir;
}

/** A 32-hex uuid from a counter and a salt, stable across runs of a test. */
export function sweepUuid(i: number, salt = 0): string {
  return ((salt * 0x9e3779b1) >>> 0).toString(16).padStart(8, "0") + i.toString(16).padStart(24, "0");
}

import { statSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { V1RunArtifact } from "../core/lineage.js";
import { RunLayout } from "../core/paths.js";
import { loadRun, type LoadedRun } from "../core/load-run.js";
import type { RootJail } from "./paths.js";
import { lastMetricRow } from "../core/read/tail.js";

/** One line of the runs list (`runtrail ls`, `GET /api/runs`). */
export interface RunSummary {
  /** The run's folder name under the runs root: what URLs and `runtrail show` use. */
  id: string;
  uuid: string;
  name: string | null;
  project: string | null;
  status: string;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Seconds; for a run still going, the time since it started. */
  duration: number | null;
  /** Last logged value of every metric stream. */
  lastMetrics: Record<string, { step: number | null; value: number }>;
}

/** A run with everything the run page shows except event data. */
export interface RunDetail extends RunSummary {
  meta: LoadedRun["meta"];
  lineage: V1RunArtifact[];
  streams: LoadedRun["streams"];
}

/**
 * The folder that holds the run folders: `<root>/runs` when it exists (an offline root such
 * as `./plx`), the parent when `root` is itself a run folder, otherwise `root`.
 */
export function resolveRunsRoot(root: string): string {
  const isDir = (p: string): boolean => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const isFile = (p: string): boolean => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (isDir(join(root, "runs"))) return join(root, "runs");
  if (isFile(join(root, RunLayout.runMeta))) return dirname(resolve(root));
  return root;
}

/** The names of the run folders (folders with `run.plx.json`) under a runs root, sorted. Symlinked folders are not listed. */
export async function listRunIds(runsRoot: string): Promise<string[]> {
  const entries = await fsp.readdir(runsRoot, { withFileTypes: true });
  const ids: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith(".")) continue;
    // A run.plx.json that is a FIFO or device still marks a run folder: it is listed as unreadable, not hidden.
    if (await fsp.stat(join(runsRoot, e.name, RunLayout.runMeta)).then((s) => !s.isDirectory(), () => false)) ids.push(e.name);
  }
  return ids.sort();
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

/** Duration in seconds from the metadata: `duration`, else finished − started, else now − started while running. */
export function runDuration(meta: Record<string, unknown>, now = Date.now()): number | null {
  if (typeof meta.duration === "number" && Number.isFinite(meta.duration)) return meta.duration;
  const started = Date.parse(String(meta.started_at ?? meta.created_at ?? ""));
  if (Number.isNaN(started)) return null;
  const finished = Date.parse(String(meta.finished_at ?? ""));
  if (!Number.isNaN(finished)) return Math.max(0, (finished - started) / 1000);
  return meta.status === "running" || meta.status === "created" ? Math.max(0, (now - started) / 1000) : null;
}

function summarize(id: string, run: LoadedRun, lastMetrics: RunSummary["lastMetrics"]): RunSummary {
  const m = run.meta as unknown as Record<string, unknown>;
  return {
    id,
    uuid: run.uuid || id,
    name: str(m.name),
    project: str(m.project),
    status: run.status,
    createdAt: str(m.created_at),
    startedAt: str(m.started_at),
    finishedAt: str(m.finished_at),
    duration: runDuration(m),
    lastMetrics,
  };
}

async function lastMetrics(jail: RootJail, runDir: string, run: LoadedRun): Promise<RunSummary["lastMetrics"]> {
  const out: RunSummary["lastMetrics"] = {};
  for (const s of run.streams) {
    if (s.kind !== "metric") continue;
    let file: string;
    try {
      file = jail.eventFile(runDir, "metric", s.name);
    } catch {
      continue; // a name the dashboard would refuse, or a symlink leaving the run: not shown
    }
    const last = await lastMetricRow(file);
    if (last) out[s.name] = last;
  }
  return out;
}

async function load(jail: RootJail, id: string): Promise<{ runDir: string; run: LoadedRun }> {
  const runDir = jail.runDir(id);
  jail.checkRunFiles(runDir);
  return { runDir, run: await loadRun(runDir) };
}

/** Summary of one run (reads only its metadata and the tail of each metric file). */
export async function runSummary(jail: RootJail, id: string): Promise<RunSummary> {
  const { runDir, run } = await load(jail, id);
  return summarize(id, run, await lastMetrics(jail, runDir, run));
}

/** Metadata, lineage and streams of one run, plus its summary. */
export async function runDetail(jail: RootJail, id: string): Promise<RunDetail> {
  const { runDir, run } = await load(jail, id);
  return { ...summarize(id, run, await lastMetrics(jail, runDir, run)), meta: run.meta, lineage: run.lineage, streams: run.streams };
}

/** Summaries of every run under the jail's root, newest first. A run that cannot be read is listed with status "unreadable". */
export async function listRuns(jail: RootJail): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  for (const id of await listRunIds(jail.realRoot)) {
    try {
      out.push(await runSummary(jail, id));
    } catch {
      out.push({ id, uuid: id, name: null, project: null, status: "unreadable", createdAt: null, startedAt: null, finishedAt: null, duration: null, lastMetrics: {} });
    }
  }
  return out.sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? "") || a.id.localeCompare(b.id));
}

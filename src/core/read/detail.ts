import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { V1RunArtifact } from "../lineage.js";
import { RunLayout } from "../paths.js";
import { readRunFile } from "./read-file.js";
import { readRunRecord, toSummary } from "./run-record.js";
import type { RunSummary } from "./summary.js";

/** A run with everything its page shows except event data: the summary plus the raw metadata, lineage and streams. */
export interface RunDetail extends RunSummary {
  /** `run.plx.json` as stored (empty when it cannot be read). */
  meta: Record<string, unknown>;
  /** The records of `lineages.plx.json` that are objects (empty when there is none). */
  lineage: V1RunArtifact[];
  /** Every `events/<kind>/<name>.plx`, sorted by kind then name. */
  streams: Array<{ kind: string; name: string }>;
}

function readJson(path: string): { value?: unknown; problem?: string } {
  const file = readRunFile(path);
  if (!file) return {};
  try {
    return { value: JSON.parse(file.bytes.toString("utf8")) as unknown };
  } catch {
    return { problem: "not valid JSON" };
  }
}

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The event streams of a run folder; folders and files reached through a symlink are left out. */
export function listStreams(runDir: string): Array<{ kind: string; name: string }> {
  const out: Array<{ kind: string; name: string }> = [];
  const events = join(runDir, RunLayout.events);
  try {
    if (!lstatSync(events).isDirectory()) return out;
    for (const kind of readdirSync(events, { withFileTypes: true })) {
      if (!kind.isDirectory()) continue;
      for (const f of readdirSync(join(events, kind.name), { withFileTypes: true })) {
        if (f.isFile() && f.name.endsWith(".plx")) out.push({ kind: kind.name, name: f.name.slice(0, -4) });
      }
    }
  } catch {
    // no events yet, or a folder vanished while listing
  }
  return out.sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : 1) : a.kind < b.kind ? -1 : 1));
}

/**
 * One run folder's detail. Never throws for damaged content: a wrong-typed field or an
 * unparseable `lineages.plx.json` is named in `damaged`.
 */
export async function readRunDetail(runsRoot: string, id: string): Promise<RunDetail> {
  const runDir = join(runsRoot, id);
  const summary = toSummary(runsRoot, readRunRecord(runsRoot, id));
  const damaged = [...(summary.damaged ?? [])];
  const meta = readJson(join(runDir, RunLayout.runMeta)).value;
  const lin = readJson(join(runDir, RunLayout.lineages));
  if (lin.problem) damaged.push(`lineages.plx.json: ${lin.problem}`);
  else if (lin.value !== undefined && !Array.isArray(lin.value)) damaged.push("lineages.plx.json: expected a JSON array");
  const lineage = Array.isArray(lin.value) ? (lin.value.filter(isDict) as unknown as V1RunArtifact[]) : [];
  const detail: RunDetail = { ...summary, meta: isDict(meta) ? meta : {}, lineage, streams: listStreams(runDir) };
  if (damaged.length) detail.damaged = damaged;
  return detail;
}

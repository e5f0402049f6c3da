import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseEvents } from "../../src/core/events/reader.js";

/** A run as a plain, index-free read of its folder sees it: the whole of every metric file parsed. */
export interface OracleRun {
  uuid: string;
  name: string | null;
  project: string | null;
  status: string | null;
  tags: string[];
  createdMs: number | undefined;
  duration: number | null;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  metrics: Record<string, { step: number | null; value: number }>;
}

/** Reads every run folder under `runsRoot` the slow, obvious way (no index, no tail reads). */
export function bruteForceRuns(runsRoot: string, now = Date.now()): OracleRun[] {
  const out: OracleRun[] = [];
  for (const id of readdirSync(runsRoot)) {
    const dir = join(runsRoot, id);
    if (id.startsWith(".") || !statSync(dir).isDirectory() || !existsSync(join(dir, "run.plx.json"))) continue;
    const m = JSON.parse(readFileSync(join(dir, "run.plx.json"), "utf8")) as Record<string, any>;
    const metrics: OracleRun["metrics"] = {};
    const mdir = join(dir, "events", "metric");
    if (existsSync(mdir)) {
      for (const f of readdirSync(mdir)) {
        const rows = parseEvents("metric", readFileSync(join(mdir, f), "utf8")).rows;
        const last = rows.at(-1);
        if (last) metrics[f.slice(0, -4)] = { step: last.step, value: last.value as number };
      }
    }
    const started = Date.parse(m.started_at ?? m.created_at);
    const duration =
      typeof m.duration === "number" ? m.duration : m.status === "running" || m.status === "created" ? Math.max(0, (now - started) / 1000) : null;
    out.push({
      uuid: m.uuid,
      name: m.name ?? null,
      project: m.project ?? null,
      status: m.status ?? null,
      tags: m.tags ?? [],
      createdMs: m.created_at ? Date.parse(m.created_at) : undefined,
      duration,
      inputs: m.inputs ?? {},
      outputs: m.outputs ?? {},
      metrics,
    });
  }
  return out;
}

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseMetricColumns } from "../core/events/reader.js";
import { listResourceStreams } from "../core/context/read.js";
import { ENV_REL_PATH } from "../core/context/run-context.js";
import type { V1RunArtifact } from "../core/lineage.js";
import { RunLayout } from "../core/paths.js";
import { fmtBytes, fmtNum, keyValues, table } from "./format.js";

/** Mean and peak of one resource stream. */
export interface ResourceFacts {
  name: string;
  points: number;
  mean: number | null;
  peak: number | null;
  last: number | null;
}

/** What `runtrail show` says about a run's context: resources, code reference, environment. */
export interface RunContextFacts {
  resources: ResourceFacts[];
  codeRef: Record<string, unknown> | null;
  env: Record<string, unknown> | null;
}

/** Reads resource streams, the coderef lineage record and `outputs/env.json` of a run folder. */
export async function runContextFacts(runDir: string, lineage: V1RunArtifact[]): Promise<RunContextFacts> {
  const resources: ResourceFacts[] = [];
  for (const name of listResourceStreams(runDir)) {
    const file = join(runDir, RunLayout.resources, "metric", `${name}.plx`);
    const cols = parseMetricColumns(await readFile(file, "utf8"), file);
    let sum = 0;
    let n = 0;
    let peak = Number.NEGATIVE_INFINITY;
    for (const v of cols.values) {
      if (!Number.isFinite(v)) continue;
      sum += v;
      n++;
      if (v > peak) peak = v;
    }
    resources.push({ name, points: cols.length, mean: n ? sum / n : null, peak: n ? peak : null, last: cols.length ? cols.values[cols.length - 1]! : null });
  }
  const code = lineage.filter((r) => r.kind === "coderef").at(-1);
  let env: Record<string, unknown> | null = null;
  try {
    env = JSON.parse(await readFile(join(runDir, ENV_REL_PATH), "utf8")) as Record<string, unknown>;
  } catch {
    env = null;
  }
  return { resources, codeRef: code?.summary ?? null, env };
}

/** Bytes for `*_rss`, `*_heap_used`, `*_memory_used/free`; % and ms as plain numbers. */
function fmtResource(name: string, v: number | null): string {
  if (v === null) return "–";
  if (/rss|heap_used|memory_(used|free)$/.test(name)) return fmtBytes(v);
  return fmtNum(Math.round(v * 100) / 100);
}

/** The RESOURCES, CODE and ENVIRONMENT sections of `runtrail show` (empty sections are left out). */
export function contextSections(f: RunContextFacts): string[] {
  const parts: string[] = [];
  if (f.resources.length) {
    const rows = f.resources.map((r) => [r.name, fmtResource(r.name, r.mean), fmtResource(r.name, r.peak), String(r.points)]);
    parts.push(`RESOURCES\n${table(["NAME", "MEAN", "PEAK", "POINTS"], rows, { align: ["l", "r", "r", "r"] })}`);
  }
  if (f.codeRef) {
    const c = f.codeRef;
    parts.push(`CODE\n${keyValues([["commit", String(c.commit ?? "–")], ["branch", String(c.branch ?? "–")], ["remote", String(c.url ?? "–")], ["dirty", c.is_dirty === null || c.is_dirty === undefined ? "–" : String(c.is_dirty)]])}`);
  }
  if (f.env) {
    const e = f.env as Record<string, any>;
    const packages = e.packages && typeof e.packages === "object" ? Object.entries(e.packages as Record<string, unknown>).map(([k, v]) => `${k}@${String(v)}`).join(" ") : "–";
    parts.push(
      `ENVIRONMENT\n${keyValues([
        ["node", `${e.node_version ?? "?"} (v8 ${e.v8_version ?? "?"})`],
        ["host", `${e.hostname ?? "?"}  ${e.platform ?? "?"}/${e.arch ?? "?"}  ${e.os ?? ""}`],
        ["cpu", `${e.cpu_count ?? "?"} × ${e.cpu_model ?? "?"}`],
        ["memory", typeof e.total_memory === "number" ? fmtBytes(e.total_memory) : "–"],
        ["command", Array.isArray(e["sys.argv"]) ? (e["sys.argv"] as unknown[]).map(String).join(" ") : "–"],
        ["packages", packages],
        ...(e.tfjs_backend ? [["tfjs backend", String(e.tfjs_backend)] as [string, string]] : []),
      ])}`,
    );
  }
  return parts;
}

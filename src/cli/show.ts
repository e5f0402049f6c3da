import { readFile } from "node:fs/promises";
import { parseMetricColumns } from "../core/events/reader.js";
import { RootJail } from "../ui/paths.js";
import { runDetail } from "../ui/runs.js";
import { modelStream, type ModelStream } from "../ui/versions.js";
import { UsageError, defaultRoot, parseCommand } from "./args.js";
import { fmtBytes, fmtDuration, fmtNum, fmtTime, keyValues, table } from "./format.js";
import { resolveRun } from "./resolve.js";
import { contextSections, runContextFacts } from "./show-context.js";

export const SHOW_USAGE = `runtrail show <run> [--root <folder>] [--json]

Show one run: status, duration, last and best value of every metric, every model version with
its framework, step, size and metrics (best and latest marked), system resources (mean and
peak), the code reference, the environment, and the lineage table.
<run> is a run folder, or a uuid prefix or run name under the runs root.

  --root <folder>  where to look for <run> (default: $POLYAXON_OFFLINE_ROOT or ./plx)
  --json           print everything as JSON`;

/** Metrics whose name says lower is better; every other metric is best when highest. */
const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|perplex|ppl|nll|cost|dist/i;

/** Last and best value of one metric stream. */
export interface MetricFacts {
  name: string;
  points: number;
  last: number | null;
  lastStep: number | null;
  best: number | null;
  bestStep: number | null;
  mode: "min" | "max";
}

/** Reads a metric stream's columns and finds its last and best (min for loss-like names, else max) values. */
export async function metricFacts(jail: RootJail, runDir: string, name: string): Promise<MetricFacts> {
  const cols = parseMetricColumns(await readFile(jail.eventFile(runDir, "metric", name), "utf8"), `${name}.plx`);
  const mode = LOWER_IS_BETTER.test(name) ? "min" : "max";
  let bi = -1;
  for (let i = 0; i < cols.length; i++) {
    const v = cols.values[i]!;
    if (!Number.isFinite(v)) continue;
    if (bi < 0 || (mode === "min" ? v < cols.values[bi]! : v > cols.values[bi]!)) bi = i;
  }
  const li = cols.length - 1;
  const step = (i: number): number | null => (i < 0 || Number.isNaN(cols.steps[i]!) ? null : cols.steps[i]!);
  return {
    name,
    points: cols.length,
    last: li < 0 ? null : cols.values[li]!,
    lastStep: step(li),
    best: bi < 0 ? null : cols.values[bi]!,
    bestStep: step(bi),
    mode,
  };
}

function specText(metrics: Record<string, unknown>): string {
  return Object.entries(metrics)
    .filter(([, v]) => typeof v === "number" || typeof v === "string" || typeof v === "boolean")
    .map(([k, v]) => `${k}=${fmtNum(v)}`)
    .join(" ");
}

function lineageSummary(summary: Record<string, unknown> | undefined): string {
  if (!summary) return "";
  const s = summary as Record<string, any>;
  const bits: string[] = [];
  if (s.framework) bits.push(`framework=${s.framework}`);
  if (s.step && typeof s.step === "object") bits.push(`steps=${s.step.min}..${s.step.max} (${s.step.count})`);
  if (s.metric && typeof s.metric === "object" && "last" in s.metric) bits.push(`last=${fmtNum(s.metric.last)}`);
  if (s.latest && typeof s.latest === "object") bits.push(`latest=${s.latest.step}`);
  if (s.best && typeof s.best === "object") bits.push(`best=${s.best.step}${s.best.monitor ? ` (${s.best.monitor}=${fmtNum(s.best.value)})` : ""}`);
  if (s.hash) bits.push(`hash=${s.hash}`);
  return bits.join(" ");
}

function modelSection(m: ModelStream): string {
  const head = `MODEL ${m.name}  framework=${m.framework ?? "?"}  versions=${m.versions.length}${m.best ? `  best=step ${m.best.step}${m.best.monitor ? ` by ${m.best.monitor}` : ""}` : ""}`;
  const rows = m.versions.map((v) => [
    v.step === null ? "–" : String(v.step),
    v.framework ?? m.framework ?? "–",
    v.exists ? fmtBytes(v.size) : "removed",
    specText(v.metrics),
    [v.best ? "best" : "", v.latest ? "latest" : ""].filter(Boolean).join(","),
    v.path,
  ]);
  return `${head}\n${table(["STEP", "FRAMEWORK", "SIZE", "METRICS", "MARKS", "PATH"], rows, { align: ["r", "l", "r", "l", "l", "l"], maxWidth: 60 })}`;
}

/** `runtrail show <run>`. Returns the exit code. */
export async function runShow(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseCommand("show", argv, { root: { type: "string" }, json: { type: "boolean" } }, 1);
  const arg = positionals[0];
  if (!arg) throw new UsageError("show: which run? usage: runtrail show <run>");
  const { runDir, id, runsRoot } = await resolveRun(arg, (values.root as string | undefined) ?? defaultRoot());
  const jail = new RootJail(runsRoot);
  const realDir = jail.runDir(id);
  const d = await runDetail(jail, id);
  const metrics = await Promise.all(d.streams.filter((s) => s.kind === "metric").map((s) => metricFacts(jail, realDir, s.name)));
  const models = await Promise.all(d.streams.filter((s) => s.kind === "model").map((s) => modelStream(jail, realDir, s.name, d.lineage)));
  const context = await runContextFacts(realDir, d.lineage);
  if (values.json) {
    out(JSON.stringify({ ...d, path: runDir, metrics, models, context }, null, 2));
    return 0;
  }
  const parts: string[] = [];
  parts.push(
    keyValues([
      ["run", `${d.uuid}${d.name ? `  (${d.name})` : ""}`],
      ["project", d.project ?? "–"],
      ["status", d.status],
      ["created", fmtTime(d.createdAt)],
      ["finished", fmtTime(d.finishedAt)],
      ["duration", fmtDuration(d.duration)],
      ["path", runDir],
    ]),
  );
  if (metrics.length) {
    const rows = metrics.map((m) => [
      m.name,
      fmtNum(m.last),
      m.lastStep === null ? "–" : String(m.lastStep),
      `${fmtNum(m.best)} (${m.mode})`,
      m.bestStep === null ? "–" : String(m.bestStep),
      String(m.points),
    ]);
    parts.push(`METRICS\n${table(["NAME", "LAST", "STEP", "BEST", "BEST STEP", "POINTS"], rows, { align: ["l", "r", "r", "r", "r", "r"] })}`);
  } else parts.push("METRICS\n(none)");
  const others = d.streams.filter((s) => s.kind !== "metric" && s.kind !== "model");
  if (others.length) parts.push(`OTHER STREAMS\n${others.map((s) => `${s.kind}/${s.name}`).join("  ")}`);
  for (const m of models) parts.push(modelSection(m));
  parts.push(...contextSections(context));
  if (d.lineage.length) {
    const rows = d.lineage.map((r) => [r.name ?? "–", r.kind ?? "–", r.path ?? "–", r.is_input ? "input" : "output", lineageSummary(r.summary)]);
    parts.push(`LINEAGE\n${table(["NAME", "KIND", "PATH", "DIRECTION", "SUMMARY"], rows, { maxWidth: 70 })}`);
  } else parts.push("LINEAGE\n(none yet)");
  out(parts.join("\n\n"));
  return 0;
}

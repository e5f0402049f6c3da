import { readRegularText } from "../core/fs-safe.js";
import { parseMetricColumns } from "../core/events/reader.js";
import { RootJail } from "../ui/paths.js";
import { apiRunDetail } from "../ui/runs.js";
import { metricDirection, recordedDirections, type Direction } from "../core/read/direction.js";
import { metricFacts, type MetricFacts } from "../core/read/metric-facts.js";
import { readVersions, type VersionedStreamView } from "../core/read/versions.js";
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

/** Reads a metric stream's columns and finds its last and best values, best in the direction the one rule gives. */
async function readMetricFacts(jail: RootJail, runDir: string, name: string, mode: Direction): Promise<MetricFacts> {
  const cols = parseMetricColumns(await readRegularText(jail.eventFile(runDir, "metric", name), "reading a metric"), `${name}.plx`);
  return metricFacts(name, cols, mode);
}

function specText(metrics: Record<string, unknown>): string {
  return Object.entries(metrics)
    .filter(([, v]) => typeof v === "number" || typeof v === "string" || typeof v === "boolean")
    .map(([k, v]) => `${k}=${fmtNum(v)}`)
    .join(" ");
}

/** A lineage summary value fit to print: text or a number; anything else (a damaged record) is left out. */
function scalar(v: unknown): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" ? fmtNum(v) : undefined;
}

function lineageSummary(summary: unknown): string {
  if (!summary || typeof summary !== "object") return "";
  const s = summary as Record<string, any>;
  const bits: string[] = [];
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
  if (scalar(s.framework)) bits.push(`framework=${scalar(s.framework)}`);
  if (obj(s.step) && scalar(s.step.min) && scalar(s.step.max)) bits.push(`steps=${scalar(s.step.min)}..${scalar(s.step.max)} (${scalar(s.step.count) ?? "?"})`);
  if (obj(s.metric) && "last" in s.metric) bits.push(`last=${fmtNum(s.metric.last)}`);
  if (obj(s.latest) && scalar(s.latest.step)) bits.push(`latest=${scalar(s.latest.step)}`);
  if (obj(s.best) && scalar(s.best.step)) bits.push(`best=${scalar(s.best.step)}${scalar(s.best.monitor) ? ` (${scalar(s.best.monitor)}=${fmtNum(s.best.value)})` : ""}`);
  if (scalar(s.hash)) bits.push(`hash=${scalar(s.hash)}`);
  return bits.join(" ");
}

function modelSection(m: VersionedStreamView): string {
  const head = `MODEL ${m.name}  framework=${m.framework ?? "?"}  versions=${m.versions.length}${m.best ? `  best=step ${m.best.step}${m.best.monitor ? ` by ${m.best.monitor} (${m.best.mode})` : ""}` : ""}`;
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
  const d = await apiRunDetail(jail, id);
  const modes = recordedDirections(d.lineage);
  const metricStreams = d.streams.filter((s) => s.kind === "metric");
  const metrics = await Promise.all(metricStreams.map((s) => readMetricFacts(jail, realDir, s.name, metricDirection(s.name, modes.get(s.name)))));
  const models = await Promise.all(
    d.streams
      .filter((s) => s.kind === "model")
      .map((s) => {
        jail.eventFile(realDir, "model", s.name);
        return readVersions(realDir, "model", s.name, { lineage: d.lineage, sizes: true });
      }),
  );
  const context = await runContextFacts(realDir, d.lineage);
  if (values.json) {
    const jsonModels = models.map((m) => ({ ...m, versions: m.versions.map(({ absPath: _abs, ...v }) => v) }));
    out(JSON.stringify({ ...d, path: runDir, metrics, models: jsonModels, context }, null, 2));
    return 0;
  }
  const parts: string[] = [];
  parts.push(
    keyValues([
      ["run", `${d.uuid}${d.name ? `  (${d.name})` : ""}`],
      ["project", d.project ?? "–"],
      ["status", d.status ?? "damaged"],
      ["created", fmtTime(d.createdAt)],
      ["finished", fmtTime(d.finishedAt)],
      ["duration", fmtDuration(d.duration)],
      ["path", runDir],
      ...(d.damaged ? [["damaged", d.damaged.join("; ")] as [string, string]] : []),
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

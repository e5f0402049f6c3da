import { listRuns } from "../core/read/list-runs.js";
import { resolveRunsRoot } from "../core/read/runs-root.js";
import type { RunSummary } from "../core/read/summary.js";
import { UsageError, defaultRoot, parseCommand } from "./args.js";
import { fmtDuration, fmtNum, fmtTime, table } from "./format.js";

export const LS_USAGE = `runtrail ls [root] [-q QUERY] [-s SORT] [-l LIMIT] [--offset N] [--recheck] [--json]

List the runs under a root (default: $POLYAXON_OFFLINE_ROOT or ./plx; an offline root's runs/
sub-folder is used when it exists), or stored under s3://bucket/prefix (endpoint and credentials
from RUNTRAIL_S3_ENDPOINT / AWS_* variables). The table shows status, duration, the inputs that
differ between the listed runs, and the last value of each metric.

  -q, --query QUERY  Polyaxon's query language, as \`polyaxon ops ls -q\`:
                     status:succeeded, metrics.val_loss:<0.1, inputs.lr:0.001|0.01,
                     name:%sweep%, created_at:2024-05-01..2024-05-31, tags:~baseline
  -s, --sort SORT    fields, - for descending: -metrics.val_acc, created_at (default -created_at)
  -l, --limit N      at most N runs
  --offset N         skip the first N runs
  --recheck          look at every run folder now (by default the index is trusted for 10 s
                     between such checks, except for runs runtrail changed, runs still going
                     and the runs printed: use it right after another tool edited runs in place)
  --json             print the runs as listRuns() returns them`;

const MAX_INPUT_COLUMNS = 6;
const MAX_METRIC_COLUMNS = 6;

function count(name: string, raw: string | boolean | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || !/^\d{1,9}$/.test(raw)) throw new UsageError(`ls: ${name} must be a whole number ≥ 0, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function inputText(v: unknown): string {
  if (v === undefined) return "–";
  return typeof v === "number" ? fmtNum(v) : typeof v === "string" ? v : JSON.stringify(v);
}

/** Input keys whose values are not the same in every listed run (a sweep's varied hyperparameters). */
export function differingInputs(runs: RunSummary[]): string[] {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.inputs)) keys.add(k);
  return [...keys].filter((k) => new Set(runs.map((r) => JSON.stringify(r.inputs[k]) ?? "")).size > 1).sort();
}

function metricNames(runs: RunSummary[]): string[] {
  const seen = new Map<string, number>();
  for (const r of runs) for (const k of Object.keys(r.metrics)) seen.set(k, (seen.get(k) ?? 0) + 1);
  return [...seen].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
}

/** Joins `-s -metrics.loss` into `--sort=-metrics.loss`: a descending sort starts with "-", which parseArgs takes for an option. */
function joinValues(argv: string[]): string[] {
  const out: string[] = [];
  const long: Record<string, string> = { "-s": "--sort", "--sort": "--sort", "-q": "--query", "--query": "--query" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (Object.hasOwn(long, a) && next !== undefined && next.startsWith("-")) {
      out.push(`${long[a]}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** `runtrail ls`. Returns the exit code. */
export async function runLs(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseCommand(
    "ls",
    joinValues(argv),
    {
      json: { type: "boolean" },
      query: { type: "string", short: "q" },
      sort: { type: "string", short: "s" },
      limit: { type: "string", short: "l" },
      offset: { type: "string" },
      recheck: { type: "boolean" },
    },
    1,
  );
  const root = positionals[0] ?? defaultRoot();
  const runs = await listRuns(root, {
    query: values.query as string | undefined,
    sort: values.sort as string | undefined,
    limit: count("--limit", values.limit),
    offset: count("--offset", values.offset),
    recheckMs: values.recheck ? 0 : undefined,
  });
  if (values.json) {
    out(JSON.stringify(runs, null, 2));
    return 0;
  }
  const where = root.startsWith("s3://") ? root : resolveRunsRoot(root);
  if (!runs.length) {
    out(values.query ? `no runs match ${JSON.stringify(values.query)} in ${where}` : `no runs in ${where}`);
    return 0;
  }
  const inputs = differingInputs(runs);
  const metrics = metricNames(runs);
  const shownInputs = inputs.slice(0, MAX_INPUT_COLUMNS);
  const shownMetrics = metrics.slice(0, MAX_METRIC_COLUMNS);
  const rows = runs.map((r) => [
    r.uuid.slice(0, 12),
    r.name ?? "–",
    r.project ?? "–",
    r.status ?? "damaged",
    fmtTime(r.createdAt),
    fmtDuration(r.duration),
    ...shownInputs.map((k) => inputText(r.inputs[k])),
    ...shownMetrics.map((k) => (r.metrics[k] ? fmtNum(r.metrics[k].value) : "–")),
  ]);
  const headers = ["RUN", "NAME", "PROJECT", "STATUS", "CREATED", "DURATION", ...shownInputs, ...shownMetrics];
  const align = headers.map((_, i) => (i === 5 || i >= 6 + shownInputs.length ? "r" : "l") as "l" | "r");
  out(table(headers, rows, { align, maxWidth: 40 }));
  const notes: string[] = [];
  if (shownInputs.length) notes.push(`inputs that differ: ${inputs.join(", ")}`);
  if (metrics.length > shownMetrics.length) notes.push(`${metrics.length - shownMetrics.length} more metrics (--json shows all)`);
  for (const r of runs) if (r.damaged) notes.push(`damaged run ${r.uuid}: ${r.damaged.join("; ")}`);
  out(`\n${runs.length} run${runs.length === 1 ? "" : "s"} in ${where}${notes.length ? `\n${notes.join("\n")}` : ""}`);
  return 0;
}

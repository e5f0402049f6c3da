import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { renderReportHtml } from "../ui/report-html.js";
import { createDashboardApp } from "../ui/server.js";
import { buildSnapshot } from "../ui/snapshot.js";
import { buildComparisonSnapshot, runIdsForQuery } from "../ui/compare-snapshot.js";
import { InvalidQueryError } from "../core/errors.js";
import { resolveRunsRoot } from "../core/read/runs-root.js";
import { UsageError, defaultRoot, parseCommand } from "./args.js";
import { fmtBytes } from "./format.js";
import { resolveRun } from "./resolve.js";

/** Runs in a `-q` report unless `--limit` says otherwise: every run's series and page are inlined. */
const DEFAULT_LIMIT = 50;

export const REPORT_USAGE = `runtrail report <run>… -o <file.html> [--root <folder>]
runtrail report -q <query> [--sort <sort>] [--limit <n>] -o <file.html> [--root <folder>]

Write one self-contained HTML file with the dashboard of one run or a comparison of several:
the runs table, overlaid metric charts, parallel coordinates and scatter of their inputs and
metrics, and each run's page (curves, confusion matrices, model versions, images, lineage).
It opens from disk with no server and no network (uPlot and the data are inlined).

  -o, --output <file>  where to write the report (required)
  -q, --query <query>  compare the runs this Polyaxon query matches (instead of naming runs)
  --sort <sort>        their order, e.g. -metrics.acc (default: newest first)
  --limit <n>          at most this many of them (default ${DEFAULT_LIMIT})
  --root <folder>      where to look for the runs (default: $POLYAXON_OFFLINE_ROOT or ./plx)`;

/** `runtrail report <run>… -o report.html` or `runtrail report -q QUERY -o report.html`. Returns the exit code. */
export async function runReport(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseCommand(
    "report",
    argv,
    { output: { type: "string", short: "o" }, root: { type: "string" }, query: { type: "string", short: "q" }, sort: { type: "string" }, limit: { type: "string" } },
    Number.MAX_SAFE_INTEGER,
  );
  const query = values.query as string | undefined;
  if (!positionals.length && query === undefined) throw new UsageError("report: which runs? usage: runtrail report <run>… -o report.html, or runtrail report -q QUERY -o report.html");
  if (positionals.length && query !== undefined) throw new UsageError("report: name runs or give -q QUERY, not both");
  const output = values.output as string | undefined;
  if (!output) throw new UsageError("report: say where to write it with -o <file.html>");
  const rootArg = (values.root as string | undefined) ?? defaultRoot();
  let runsRoot: string;
  let ids: string[];
  if (query !== undefined) {
    const rawLimit = (values.limit as string | undefined) ?? String(DEFAULT_LIMIT);
    if (!/^[1-9]\d{0,5}$/.test(rawLimit)) throw new UsageError(`report: --limit must be a whole number ≥ 1, got ${JSON.stringify(rawLimit)}`);
    runsRoot = resolveRunsRoot(rootArg);
    let found: { ids: string[]; total: number };
    try {
      found = await runIdsForQuery(createDashboardApp(runsRoot, { literalRoot: true }), query, values.sort as string | undefined, Number(rawLimit));
    } catch (err) {
      if (err instanceof InvalidQueryError) throw new UsageError(`report: ${err.message}`);
      throw err;
    }
    if (!found.ids.length) throw new UsageError(`report: no run in ${runsRoot} matches ${JSON.stringify(query)}`);
    if (found.total > found.ids.length) out(`the query matches ${found.total} runs; the report has the first ${found.ids.length} (--limit)`);
    ids = found.ids;
  } else {
    const resolved = await Promise.all(positionals.map((p) => resolveRun(p, rootArg)));
    runsRoot = resolved[0]!.runsRoot;
    const elsewhere = resolved.find((r) => r.runsRoot !== runsRoot);
    if (elsewhere) throw new UsageError(`report: the runs are in different folders (${runsRoot}, ${elsewhere.runsRoot}); a report compares runs of one runs root`);
    ids = [...new Set(resolved.map((r) => r.id))];
  }
  const app = createDashboardApp(runsRoot, { literalRoot: true });
  const snapshot = ids.length === 1 ? await buildSnapshot(app, ids[0]!) : await buildComparisonSnapshot(app, ids);
  const html = renderReportHtml(snapshot);
  const target = resolve(output);
  await writeFile(target, html);
  out(`wrote ${target} (${fmtBytes(Buffer.byteLength(html))})`);
  if (snapshot.skippedAssets.length) out(`left out ${snapshot.skippedAssets.length} image(s) over the 20 MiB budget`);
  return 0;
}

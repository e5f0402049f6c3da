import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { renderReportHtml } from "../ui/report-html.js";
import { createDashboardApp } from "../ui/server.js";
import { buildSnapshot } from "../ui/snapshot.js";
import { UsageError, defaultRoot, parseCommand } from "./args.js";
import { fmtBytes } from "./format.js";
import { resolveRun } from "./resolve.js";

export const REPORT_USAGE = `runtrail report <run> -o <file.html> [--root <folder>]

Write one self-contained HTML file with the run's dashboard: metric charts, curves, confusion
matrices, model versions with the step slider, images and lineage. It opens from disk with no
server and no network (uPlot and the data are inlined).

  -o, --output <file>  where to write the report (required)
  --root <folder>      where to look for <run> (default: $POLYAXON_OFFLINE_ROOT or ./plx)`;

/** `runtrail report <run> -o report.html`. Returns the exit code. */
export async function runReport(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseCommand("report", argv, { output: { type: "string", short: "o" }, root: { type: "string" } }, 1);
  const arg = positionals[0];
  if (!arg) throw new UsageError("report: which run? usage: runtrail report <run> -o report.html");
  const output = values.output as string | undefined;
  if (!output) throw new UsageError("report: say where to write it with -o <file.html>");
  const { id, runsRoot } = await resolveRun(arg, (values.root as string | undefined) ?? defaultRoot());
  const snapshot = await buildSnapshot(createDashboardApp(runsRoot, { literalRoot: true }), id);
  const html = renderReportHtml(snapshot);
  const target = resolve(output);
  await writeFile(target, html);
  out(`wrote ${target} (${fmtBytes(Buffer.byteLength(html))})`);
  if (snapshot.skippedAssets.length) out(`left out ${snapshot.skippedAssets.length} image(s) over the 20 MiB budget`);
  return 0;
}

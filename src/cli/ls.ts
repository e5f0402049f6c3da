import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ArtifactNotFoundError } from "../core/errors.js";
import { RootJail } from "../ui/paths.js";
import { listRuns, resolveRunsRoot } from "../ui/runs.js";
import { defaultRoot, parseCommand } from "./args.js";
import { fmtDuration, fmtNum, fmtTime, table } from "./format.js";

export const LS_USAGE = `runtrail ls [root] [--json]

List the runs under a runs root (default: $POLYAXON_OFFLINE_ROOT or ./plx; an offline root's
runs/ sub-folder is used when it exists), or stored under s3://bucket/prefix (endpoint and
credentials from RUNTRAIL_S3_ENDPOINT / AWS_* variables), newest first, with status, duration
and last metrics.

  --json   print the summaries as JSON instead of a table`;

/** Brings the metadata of every run under `s3://bucket/prefix` into the local cache. */
async function cacheStoredRuns(uri: string): Promise<{ runsRoot: string; only: Set<string> }> {
  const { listS3Runs, materializeS3Run, createS3Store } = await import("../store/index.js");
  const store = await createS3Store();
  try {
    const stored = await listS3Runs(uri, { store });
    let runsRoot = "";
    for (const r of stored) runsRoot = dirname(await materializeS3Run(r.uri, { store, metadataOnly: true }));
    return { runsRoot: runsRoot || uri, only: new Set(stored.map((r) => r.uuid)) };
  } finally {
    store.destroy();
  }
}

/** `runtrail ls [root] [--json]`. Returns the exit code. */
export async function runLs(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseCommand("ls", argv, { json: { type: "boolean" } }, 1);
  const root = positionals[0] ?? defaultRoot();
  const { runsRoot, only } = root.startsWith("s3://") ? await cacheStoredRuns(root) : { runsRoot: resolve(resolveRunsRoot(root)), only: undefined };
  if (!existsSync(runsRoot)) throw new ArtifactNotFoundError(`the runs root ${runsRoot} does not exist (pass a folder: runtrail ls <root>).`, root);
  const runs = (await listRuns(new RootJail(runsRoot))).filter((r) => !only || only.has(r.id));
  if (values.json) {
    out(JSON.stringify(runs, null, 2));
    return 0;
  }
  if (!runs.length) {
    out(`no runs in ${runsRoot}`);
    return 0;
  }
  const rows = runs.map((r) => [
    r.id.slice(0, 12),
    r.name ?? "–",
    r.project ?? "–",
    r.status,
    fmtTime(r.createdAt),
    fmtDuration(r.duration),
    Object.entries(r.lastMetrics)
      .slice(0, 4)
      .map(([k, v]) => `${k}=${fmtNum(v.value)}`)
      .join(" "),
  ]);
  out(table(["RUN", "NAME", "PROJECT", "STATUS", "CREATED", "DURATION", "LAST METRICS"], rows, { align: ["l", "l", "l", "l", "l", "r", "l"], maxWidth: 60 }));
  out(`\n${runs.length} run${runs.length === 1 ? "" : "s"} in ${runsRoot}`);
  return 0;
}

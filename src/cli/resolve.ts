import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { currentRecords } from "../core/read/list-runs.js";
import { ArtifactNotFoundError } from "../core/errors.js";
import { RunLayout } from "../core/paths.js";
import { listRunFolders, resolveRunsRoot } from "../core/read/runs-root.js";
import { UsageError } from "./args.js";

/** A run picked on the command line. */
export interface ResolvedRun {
  runDir: string;
  /** Its folder name (what the dashboard's URLs use). */
  id: string;
  /** The folder that holds it. */
  runsRoot: string;
}

/** True when `p` is a folder with `run.plx.json`. */
export function isRunFolder(p: string): boolean {
  return existsSync(join(p, RunLayout.runMeta)) && statSync(p).isDirectory();
}

/**
 * Finds a run from a command-line argument: a path to a run folder, a run in object storage
 * (`s3://bucket/prefix/<uuid>`, read through a local cache), or a run's folder name, uuid prefix
 * or name under the runs root.
 *
 * @throws ArtifactNotFoundError when nothing matches; UsageError when several runs match.
 */
export async function resolveRun(arg: string, root: string): Promise<ResolvedRun> {
  if (arg.startsWith("s3://")) {
    const { materializeS3Run } = await import("../store/s3-reader.js");
    const runDir = await materializeS3Run(arg);
    return { runDir, id: basename(runDir), runsRoot: dirname(runDir) };
  }
  if (isRunFolder(arg)) {
    const runDir = resolve(arg);
    return { runDir, id: basename(runDir), runsRoot: dirname(runDir) };
  }
  const runsRoot = resolve(resolveRunsRoot(root));
  if (!existsSync(runsRoot)) {
    throw new ArtifactNotFoundError(`"${arg}" is not a run folder, and the runs root ${runsRoot} does not exist (pass --root <folder>).`, arg);
  }
  const ids = listRunFolders(runsRoot)
    .filter((id) => existsSync(join(runsRoot, id, RunLayout.runMeta)))
    .sort();
  let matches = ids.filter((id) => id === arg);
  if (!matches.length) matches = ids.filter((id) => id.startsWith(arg));
  if (!matches.length) {
    const records = currentRecords(runsRoot);
    matches = records.filter((r) => r.meta.name === arg || (r.meta.uuid ?? "").startsWith(arg)).map((r) => r.id);
  }
  if (matches.length === 1) return { runDir: join(runsRoot, matches[0]!), id: matches[0]!, runsRoot };
  if (!matches.length) throw new ArtifactNotFoundError(`no run "${arg}" in ${runsRoot} (give a run folder path, a uuid prefix or a run name; \`runtrail ls\` lists them).`, arg);
  throw new UsageError(`"${arg}" matches ${matches.length} runs (${matches.slice(0, 5).join(", ")}${matches.length > 5 ? ", …" : ""}): give more characters of the uuid.`);
}

import { localRunPath } from "./load-run.js";
import { toFqnName } from "./names.js";
import { eventPath } from "./paths.js";
import { readEventFileSync } from "./events/reader.js";
import { prunedVersions } from "./pruned-versions.js";

/**
 * Which versions of a stream were pruned, from its event file alone (`events/<kind>/<name>.plx`,
 * default kind `model`): `pruned` steps, and `kept` steps (a version row, not pruned since).
 * @example const { pruned } = await readPrunedVersions(run.artifactsPath, "model"); // Set { 1, 2 }
 */
export async function readPrunedVersions(runPath: string, name: string, kind = "model"): Promise<{ pruned: Set<number>; kept: Set<number> }> {
  const file = eventPath(await localRunPath(runPath), kind, toFqnName(name));
  return prunedVersions(readEventFileSync(file, kind).rows);
}

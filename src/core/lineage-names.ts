import { RuntrailError } from "./errors.js";
import { allArtifactKinds } from "./kinds.js";
import type { V1RunArtifact } from "./lineage.js";

/**
 * Lineage names are unique per run, because Polyaxon's client loads `lineages.plx.json` into a
 * dict keyed by `name` (`RunClient._cache_offline_artifact_lineage`): two records with one name
 * lose one of them on `polyaxon ops push`. The rule, applied whenever the file is written and
 * whenever a run (also one written before the rule) is read:
 *
 * - references (`logModelRef`, `logArtifactRef`, non-versioned `logModel`…) keep the name they
 *   were given; a second reference with the same name and another kind is refused when it is
 *   logged ({@link LineageNameConflictError});
 * - an event-stream record (`events/<kind>/<name>.plx`, `resources/…`), whose name only repeats
 *   its file name, keeps that name unless a reference or a stream that comes first has it; it is
 *   then written as `<name>-<kind>` (`-<kind>-2`, `-3`… if that is taken too). Streams come in
 *   this order: `metric`, then the other kinds in `V1ArtifactKind` order, `system` last. Its
 *   `path` still names its file, which is how readers find a stream's record.
 *
 * Example: a versioned stream `model` and a `logModel({ name: "model" })` reference are written
 * as `model-model` (path `events/model/model.plx`) and `model` (path `outputs/model/…`).
 */
export function uniqueLineageNames(records: readonly V1RunArtifact[]): V1RunArtifact[] {
  const order = records.map((_, i) => i).sort((a, b) => rank(records[a]!) - rank(records[b]!) || a - b);
  const plain = new Set<string>();
  const keeps = new Set<number>();
  for (const i of order) {
    const name = records[i]!.name ?? "";
    if (!plain.has(name)) {
      plain.add(name);
      keeps.add(i);
    }
  }
  const used = new Set(plain);
  const out = [...records];
  for (const i of order) {
    if (keeps.has(i)) continue;
    const rec = records[i]!;
    const base = `${rec.name ?? ""}-${rec.kind ?? "artifact"}`;
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
    used.add(name);
    out[i] = { ...rec, name };
  }
  return out;
}

/** True for the record of an event file (`events/<kind>/<name>.plx` or `resources/<kind>/<name>.plx`). */
export function isStreamRecord(rec: V1RunArtifact): boolean {
  return typeof rec.path === "string" && STREAM_PATH.test(rec.path);
}

/** The stream a record describes, from its path (its name may carry a suffix), or undefined for a reference. */
export function streamOfRecord(rec: V1RunArtifact): { dir: string; kind: string; name: string } | undefined {
  const m = typeof rec.path === "string" ? STREAM_PATH.exec(rec.path) : null;
  return m ? { dir: m[1]!, kind: m[2]!, name: m[3]! } : undefined;
}

/** A reference would take the name of another reference of another kind (see {@link uniqueLineageNames}). */
export class LineageNameConflictError extends RuntrailError {
  constructor(name: string, kind: string, existingKind: string) {
    super(
      "RUNTRAIL_LINEAGE_NAME_TAKEN",
      `a lineage record named "${name}" (kind "${existingKind}") already exists in this run; Polyaxon keeps one record per name, so this "${kind}" reference would replace it on push. Pass another \`name\`.`,
      { value: name },
    );
  }
}

const STREAM_PATH = /^(events|resources)\/([^/]+)\/([^/]+)\.plx$/;
const KIND_ORDER = new Map<string, number>(allArtifactKinds.map((k, i) => [k, i + 1]));

function rank(rec: V1RunArtifact): number {
  if (!isStreamRecord(rec)) return 0;
  if (rec.kind === "metric") return 1;
  if (rec.kind === "system") return 1000;
  return 1 + (KIND_ORDER.get(rec.kind ?? "") ?? 999);
}

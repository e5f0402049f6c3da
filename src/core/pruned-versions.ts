/**
 * Pruned versions, recognisable from the event file alone.
 *
 * When retention deletes versions of a stream (`assets/model/<name>_<step>`), their rows stay in
 * `events/model/<name>.plx` (the file is append-only). runtrail then appends one **companion
 * row**: the step, framework and path of the newest version (the row just before it), and a
 * `spec` of `{"runtrail":{"pruned":[<steps deleted now>]}}`:
 *
 * ```
 * 9|2024-05-01 12:35:00.100000+00:00|{"framework":"tfjs","path":"assets/model/model_9","spec":{"step":9,…}}
 * 9|2024-05-01 12:35:00.180000+00:00|{"framework":"tfjs","path":"assets/model/model_9","spec":{"runtrail":{"pruned":[3]}}}
 * ```
 *
 * It is an ordinary `V1EventModel` row, so traceml's `V1Events.read` and `get_event_at` read it,
 * and since it repeats the last step, Polyaxon's step summary (first and last row) is unchanged.
 * A step is pruned when a companion row lists it after its last version row; a version logged
 * again at that step later (a resumed run) is on disk again.
 */

/** The `spec` key of a companion row. */
export const PRUNED_SPEC_KEY = "runtrail";

/** An event row as the readers return it. */
export interface VersionRow {
  step: number | null;
  value: unknown;
}

/** The value of the companion row that marks `steps` as deleted, repeating the newest version's framework and path. */
export function prunedCompanionValue(latest: { path: string }, framework: string | undefined, steps: readonly number[]): Record<string, unknown> {
  return {
    ...(framework !== undefined && { framework }),
    path: latest.path,
    spec: { [PRUNED_SPEC_KEY]: { pruned: [...steps].sort((a, b) => a - b) } },
  };
}

/** The steps a companion row marks as deleted, or undefined when the value is a version row. */
export function prunedStepsOfRow(value: unknown): number[] | undefined {
  const spec = (value as { spec?: Record<string, unknown> } | null)?.spec;
  const marker = spec?.[PRUNED_SPEC_KEY] as { pruned?: unknown } | undefined;
  if (!marker || !Array.isArray(marker.pruned)) return undefined;
  return marker.pruned.filter((s): s is number => Number.isSafeInteger(s));
}

/**
 * Reads a stream's rows (in file order): the steps whose versions were pruned, and the steps
 * that have a version row and were not pruned since. Companion rows are not versions.
 */
export function prunedVersions(rows: readonly VersionRow[]): { pruned: Set<number>; kept: Set<number> } {
  const pruned = new Set<number>();
  const kept = new Set<number>();
  for (const row of rows) {
    const marked = prunedStepsOfRow(row.value);
    if (marked) {
      for (const s of marked) {
        pruned.add(s);
        kept.delete(s);
      }
    } else if (row.step !== null) {
      kept.add(row.step);
      pruned.delete(row.step);
    }
  }
  return { pruned, kept };
}

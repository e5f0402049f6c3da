import type { MetricColumns } from "../events/reader.js";
import type { Direction } from "./direction.js";

/** The last and the best value of one metric stream, and the direction "best" was taken in. */
export interface MetricFacts {
  name: string;
  /** Rows in the file. */
  points: number;
  last: number | null;
  lastStep: number | null;
  /** The best finite value (the earliest wins a tie); null when there is none. */
  best: number | null;
  bestStep: number | null;
  /** From `metricDirection`: the recorded policy mode, else the name's default. */
  mode: Direction;
}

/**
 * Last and best value of a metric stream's columns. `mode` comes from `metricDirection`, so
 * `runtrail show`, the dashboard and the checkpoint policies rank a metric the same way.
 *
 * @example
 * metricFacts("val_acc", await readMetricColumns(runPath, "val_acc"), metricDirection("val_acc"));
 * // { name: "val_acc", points: 10, last: 0.91, lastStep: 9, best: 0.93, bestStep: 7, mode: "max" }
 */
export function metricFacts(name: string, cols: MetricColumns, mode: Direction): MetricFacts {
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

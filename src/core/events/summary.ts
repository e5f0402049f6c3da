import { pyIsoTimestamp } from "./pyformat.js";
import type { EventRow } from "./rows.js";

/**
 * `V1Events.get_summary()`: `is_event`, the step count with the first and last rows' steps
 * (Polyaxon takes first/last, not min/max), the first and last timestamps, and for metrics
 * pandas' `describe()` plus `last`.
 */
export function eventSummary(kind: string, rows: EventRow[]): Record<string, unknown> {
  const summary: Record<string, unknown> = { is_event: true };
  if (rows.length === 0) return summary;
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const stepped = rows.filter((r) => r.step !== null).length;
  if (stepped > 0) summary.step = { count: stepped, min: first.step, max: last.step };
  summary.timestamp = { min: pyIsoTimestamp(first.timestamp.getTime()), max: pyIsoTimestamp(last.timestamp.getTime()) };
  if (kind === "metric") summary.metric = describe(rows.map((r) => r.value as number));
  return summary;
}

/** `eventSummary` of a metric stream read as columns (no object per row). */
export function metricSummary(cols: { steps: Float64Array; timestamps: Float64Array; values: Float64Array; length: number }): Record<string, unknown> {
  const n = cols.length;
  const summary: Record<string, unknown> = { is_event: true };
  let stepped = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(cols.steps[i]!)) stepped++;
  const stepOf = (i: number): number | null => (Number.isNaN(cols.steps[i]!) ? null : cols.steps[i]!);
  if (stepped > 0) summary.step = { count: stepped, min: stepOf(0), max: stepOf(n - 1) };
  summary.timestamp = { min: pyIsoTimestamp(cols.timestamps[0]!), max: pyIsoTimestamp(cols.timestamps[n - 1]!) };
  summary.metric = describe(cols.values);
  return summary;
}

/** pandas `Series.describe()` (sample std, linear quantiles; NaN values ignored) plus `last`. */
export function describe(values: ArrayLike<number>): Record<string, number | null> {
  const finite = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) finite[n++] = values[i]!;
  const last = values.length ? values[values.length - 1]! : Number.NaN;
  const out = (v: number): number | null => (Number.isFinite(v) ? v : null);
  if (n === 0) return { count: 0, mean: null, std: null, min: null, "25%": null, "50%": null, "75%": null, max: null, last: out(last) };
  const sorted = finite.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i]! - mean) * (sorted[i]! - mean);
  const q = (p: number): number => {
    const pos = (n - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  };
  return {
    count: n,
    mean: out(mean),
    std: n > 1 ? out(Math.sqrt(sq / (n - 1))) : null,
    min: out(sorted[0]!),
    "25%": out(q(0.25)),
    "50%": out(q(0.5)),
    "75%": out(q(0.75)),
    max: out(sorted[n - 1]!),
    last: out(last),
  };
}

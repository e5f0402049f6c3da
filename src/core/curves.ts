import { InvalidValueError } from "./errors.js";

const isList = (v: unknown): v is ArrayLike<number> => Array.isArray(v) || ArrayBuffer.isView(v);

/** Points of a binary classifier at each distinct score threshold, highest first. */
function thresholdCounts(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): { tps: number[]; fps: number[] } {
  if (!isList(yTrue) || !isList(yScore)) throw new InvalidValueError("yTrue and yScore must be arrays (or typed arrays) of numbers.", { yTrue, yScore });
  if (yTrue.length !== yScore.length || yTrue.length === 0) {
    throw new InvalidValueError(
      `yTrue and yScore must be non-empty and of the same length (got ${yTrue.length} and ${yScore.length}).`,
      { yTrue: yTrue.length, yScore: yScore.length },
    );
  }
  const idx = Array.from({ length: yScore.length }, (_, i) => i);
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    if (t !== 0 && t !== 1) throw new InvalidValueError(`yTrue must hold only 0 and 1 (found ${t} at index ${i}).`, t);
    if (!Number.isFinite(yScore[i]!)) throw new InvalidValueError(`yScore must be finite (found ${yScore[i]} at index ${i}).`, yScore[i]);
  }
  idx.sort((a, b) => yScore[b]! - yScore[a]!);
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (yTrue[i] === 1) tp++;
    else fp++;
    const next = idx[k + 1];
    if (next === undefined || yScore[next] !== yScore[i]) {
      tps.push(tp);
      fps.push(fp);
    }
  }
  return { tps, fps };
}

/** ROC curve as scikit-learn's `roc_curve` (without dropping intermediate points) and its AUC (trapezoids). */
export function rocCurve(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): { fpr: number[]; tpr: number[]; auc: number } {
  const { tps, fps } = thresholdCounts(yTrue, yScore);
  const P = tps[tps.length - 1]!;
  const N = fps[fps.length - 1]!;
  if (P === 0 || N === 0) throw new InvalidValueError("a ROC curve needs both classes in yTrue (found only one).", { positives: P, negatives: N });
  const fpr = [0, ...fps.map((f) => f / N)];
  const tpr = [0, ...tps.map((t) => t / P)];
  let auc = 0;
  for (let i = 1; i < fpr.length; i++) auc += ((fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!)) / 2;
  return { fpr, tpr, auc };
}

/** Precision–recall curve as scikit-learn's `precision_recall_curve`, and the average precision. */
export function prCurve(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
): { precision: number[]; recall: number[]; averagePrecision: number } {
  const { tps, fps } = thresholdCounts(yTrue, yScore);
  const P = tps[tps.length - 1]!;
  if (P === 0) throw new InvalidValueError("a PR curve needs at least one positive in yTrue.", { positives: 0 });
  const precision = tps.map((t, i) => t / (t + fps[i]!));
  const recall = tps.map((t) => t / P);
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < recall.length; i++) {
    ap += (recall[i]! - prevRecall) * precision[i]!;
    prevRecall = recall[i]!;
  }
  // scikit-learn's order: recall decreasing, ending at (precision 1, recall 0).
  return { precision: [...precision.reverse(), 1], recall: [...recall.reverse(), 0], averagePrecision: ap };
}

/** `np.histogram(values, bins)`: per-bin counts and the n+1 edges over [min, max]. */
export function histogram(data: ArrayLike<number>, bins: number): { counts: number[]; edges: number[] } {
  if (!Number.isInteger(bins) || bins < 1 || bins > 512) {
    throw new InvalidValueError(`bins must be an integer from 1 to 512 (got ${bins}).`, bins);
  }
  if (data.length === 0) throw new InvalidValueError("a histogram needs at least one value.", data);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) throw new InvalidValueError(`histogram values must be finite (found ${v} at index ${i}).`, v);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  // A range wider than Number.MAX_VALUE is binned on halves; a width lost to rounding (huge equal
  // values) puts everything in one bin instead of nowhere.
  const overflow = !Number.isFinite(hi - lo);
  const width = overflow ? hi / bins - lo / bins : (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : overflow ? 2 * (lo / 2 + i * (width / 2)) : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const b = overflow ? Math.floor(((v / 2 - lo / 2) / (hi / 2 - lo / 2)) * bins) : Math.floor((v - lo) / width);
    counts[Number.isNaN(b) ? 0 : Math.max(0, Math.min(bins - 1, b))]!++;
  }
  return { counts, edges };
}

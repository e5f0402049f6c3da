import { InvalidValueError } from "./errors.js";
import { show } from "./validate.js";

/**
 * scikit-learn's ranking metrics, reproduced to the last bit for unweighted samples:
 * `roc_curve` (with its default `drop_intermediate=True`), `auc`, `precision_recall_curve` and
 * `average_precision_score`, as Polyaxon's `log_sklearn_roc_auc_curve` / `log_sklearn_pr_curve`
 * call them. Sums follow numpy's pairwise summation, so results equal sklearn's float for float
 * (checked against fixtures made by sklearn itself: test/fixtures/sklearn/).
 */

/** A ROC curve: false and true positive rates, and the area under it (`sklearn.metrics.auc`). */
export interface RocResult {
  fpr: number[];
  tpr: number[];
  auc: number;
}

/** A precision–recall curve (recall decreasing, ending at precision 1, recall 0) and its average precision. */
export interface PrResult {
  precision: number[];
  recall: number[];
  averagePrecision: number;
}

/** A class label: numbers, or strings for multi-class targets. */
export type ClassLabel = number | string;

/** numpy's `add.reduce` on a contiguous float64 array: pairwise summation in blocks of 8 (`pairwise_sum_DOUBLE`). */
export function numpySum(a: readonly number[], start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = a.slice(start, start + 8);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[start + i + j]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return numpySum(a, start, n2) + numpySum(a, start + n2, n - n2);
}

/** `_binary_clf_curve`: false and true positive counts at each distinct score, highest score first. */
function binaryClfCurve(positive: readonly boolean[], scores: readonly number[]): { fps: number[]; tps: number[] } {
  // sklearn sorts with a stable mergesort and reverses; ties collapse to one threshold, so their order does not matter.
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    if (positive[order[k]!]) tp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[order[k]!]) {
      tps.push(tp);
      fps.push(k + 1 - tp);
    }
  }
  return { fps, tps };
}

/** `roc_curve(y_true, y_score, pos_label, drop_intermediate=True)` and `auc(fpr, tpr)`. */
export function sklearnRocCurve(positive: readonly boolean[], scores: readonly number[]): RocResult {
  let { fps, tps } = binaryClfCurve(positive, scores);
  if (fps.length > 2) {
    // Keep the ends and every point where the second difference of fps or tps is not zero.
    const keep = fps.map((_, i) => i === 0 || i === fps.length - 1 || fps[i - 1]! - 2 * fps[i]! + fps[i + 1]! !== 0 || tps[i - 1]! - 2 * tps[i]! + tps[i + 1]! !== 0);
    fps = fps.filter((_, i) => keep[i]);
    tps = tps.filter((_, i) => keep[i]);
  }
  const N = fps[fps.length - 1]!;
  const P = tps[tps.length - 1]!;
  if (N <= 0 || P <= 0) {
    throw new InvalidValueError(
      `a ROC curve needs both positive and negative targets (found ${P} positive and ${N} negative); sklearn would return NaN rates here, which a curve event cannot hold.`,
      { positives: P, negatives: N },
    );
  }
  const fpr = [0, ...fps.map((f) => f / N)];
  const tpr = [0, ...tps.map((t) => t / P)];
  return { fpr, tpr, auc: sklearnAuc(fpr, tpr) };
}

/** `sklearn.metrics.auc`: `np.trapz(y, x)`, negated when x decreases. */
export function sklearnAuc(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length || x.length < 2) {
    throw new InvalidValueError(`auc needs x and y of the same length, at least 2 (got ${x.length} and ${y.length}).`, { x: x.length, y: y.length });
  }
  let anyDown = false;
  let anyUp = false;
  for (let i = 1; i < x.length; i++) {
    if (x[i]! < x[i - 1]!) anyDown = true;
    else if (x[i]! > x[i - 1]!) anyUp = true;
  }
  if (anyDown && anyUp) throw new InvalidValueError("auc: x is neither increasing nor decreasing.", x);
  const terms = Array.from({ length: x.length - 1 }, (_, i) => ((x[i + 1]! - x[i]!) * (y[i + 1]! + y[i]!)) / 2);
  const area = numpySum(terms);
  return anyDown ? -area : area;
}

/** `precision_recall_curve(y_true, probas_pred, pos_label)` and `average_precision_score` on the same targets. */
export function sklearnPrCurve(positive: readonly boolean[], scores: readonly number[]): PrResult {
  const { fps, tps } = binaryClfCurve(positive, scores);
  const P = tps[tps.length - 1]!;
  if (P <= 0) {
    throw new InvalidValueError(
      "a precision-recall curve needs at least one positive target (found none); sklearn sets recall to 1 everywhere and warns.",
      { positives: 0 },
    );
  }
  const precision = tps.map((t, i) => (t + fps[i]! !== 0 ? t / (t + fps[i]!) : 0)).reverse();
  const recall = tps.map((t) => t / P).reverse();
  precision.push(1);
  recall.push(0);
  // -sum(diff(recall) * precision[:-1]); newer sklearn clips the -0.0 of a flat curve to 0.0.
  const terms = Array.from({ length: recall.length - 1 }, (_, i) => (recall[i + 1]! - recall[i]!) * precision[i]!);
  const averagePrecision = Math.max(0, -numpySum(terms));
  return { precision, recall, averagePrecision };
}

function toScores(values: unknown, what: string, method: string): number[] {
  if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
    throw new InvalidValueError(`${method}: ${what} must be an array (or typed array) of numbers.`, values);
  }
  const out = Array.from(values as ArrayLike<unknown>);
  out.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new InvalidValueError(`${method}: ${what}[${i}] must be a finite number (got ${show(v)}).`, v);
  });
  if (out.length === 0) throw new InvalidValueError(`${method}: ${what} is empty.`, values);
  return out as number[];
}

function toLabels(values: unknown, method: string): ClassLabel[] {
  if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
    throw new InvalidValueError(`${method}: yTargets must be an array (or typed array) of class labels.`, values);
  }
  const out = Array.from(values as ArrayLike<unknown>);
  const type = typeof out[0];
  out.forEach((v, i) => {
    if ((typeof v !== "number" || !Number.isFinite(v)) && typeof v !== "string") {
      throw new InvalidValueError(`${method}: yTargets[${i}] must be a finite number or a string label (got ${show(v)}).`, v);
    }
    if (typeof v !== type) throw new InvalidValueError(`${method}: yTargets mixes numbers and strings (index ${i}); use one type of label.`, v);
  });
  if (out.length === 0) throw new InvalidValueError(`${method}: yTargets is empty.`, values);
  return out as ClassLabel[];
}

/** Binary targets as sklearn accepts them without `pos_label`: all in {0, 1} or all in {-1, 1}; 1 is positive. */
function binaryPositives(targets: unknown, method: string): boolean[] {
  const labels = toLabels(targets, method);
  const set = new Set(labels);
  const ok = [...set].every((v) => v === 0 || v === 1) || [...set].every((v) => v === -1 || v === 1);
  if (!ok) {
    throw new InvalidValueError(
      `${method}: binary yTargets must be 0/1 or -1/1 (found ${[...set].slice(0, 5).map((v) => show(v)).join(", ")}); for more classes pass { isMultiClass: true } with one column of scores per class.`,
      [...set],
    );
  }
  return labels.map((v) => v === 1);
}

/** `np.unique`: the distinct labels, sorted (numbers ascending, strings by code point). */
export function uniqueLabels(labels: readonly ClassLabel[]): ClassLabel[] {
  const u = [...new Set(labels)];
  if (typeof u[0] === "number") return (u as number[]).sort((a, b) => a - b);
  return (u as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** One curve per class, one-vs-rest: `<name>_<i>` for the i-th class of `np.unique(yTargets)`. */
export interface ClassCurve<R> {
  index: number;
  label: ClassLabel;
  result: R;
}

/**
 * Curves of binary scores (`yPreds` a list of scores, `yTargets` 0/1) or, with `multiClass`, of
 * `yPreds` as rows of class scores (`yPreds[k][i]` = score of class i for sample k) against the
 * i-th sorted distinct target (as Polyaxon: `y_preds[:, i]` with `pos_label=classes[i]`).
 */
export function sklearnCurves<R>(
  yPreds: unknown,
  yTargets: unknown,
  multiClass: boolean,
  method: string,
  compute: (positive: boolean[], scores: number[]) => R,
): ClassCurve<R>[] {
  if (!multiClass) {
    const scores = toScores(yPreds, "yPreds", method);
    const positive = binaryPositives(yTargets, method);
    if (positive.length !== scores.length) {
      throw new InvalidValueError(`${method}: yPreds and yTargets must have the same length (got ${scores.length} and ${positive.length}).`, { yPreds: scores.length, yTargets: positive.length });
    }
    return [{ index: 0, label: 1, result: compute(positive, scores) }];
  }
  const labels = toLabels(yTargets, method);
  if (!Array.isArray(yPreds) || yPreds.length !== labels.length) {
    throw new InvalidValueError(
      `${method}: with isMultiClass, yPreds must be one row of class scores per target (got ${Array.isArray(yPreds) ? yPreds.length : show(yPreds)} rows for ${labels.length} targets).`,
      yPreds,
    );
  }
  const rows = yPreds.map((row, k) => toScores(row, `yPreds[${k}]`, method));
  const classes = uniqueLabels(labels);
  const width = rows[0]!.length;
  rows.forEach((row, k) => {
    if (row.length !== width) throw new InvalidValueError(`${method}: yPreds[${k}] has ${row.length} scores, yPreds[0] has ${width}.`, row);
  });
  if (width < classes.length) {
    throw new InvalidValueError(`${method}: yPreds rows have ${width} scores but yTargets holds ${classes.length} classes; give one score per class.`, { width, classes: classes.length });
  }
  return classes.map((label, i) => ({
    index: i,
    label,
    result: compute(
      labels.map((l) => l === label),
      rows.map((row) => row[i]!),
    ),
  }));
}

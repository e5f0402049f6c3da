import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { numpySum, sklearnCurves, sklearnPrCurve, sklearnRocCurve } from "../../src/core/sklearn-curves.js";
import { pyFloatRepr } from "../../src/core/events/pyformat.js";
import { InvalidValueError } from "../../src/core/errors.js";

interface Golden {
  fpr: number[];
  tpr: number[];
  auc: number;
  auc_str: string;
  precision: number[];
  recall: number[];
  average_precision: number;
  average_precision_str: string;
}
interface Case {
  name: string;
  multi_class: boolean;
  y_preds: number[] | number[][];
  y_targets: Array<number | string>;
  labels?: Array<number | string>;
  classes: Golden[];
}

// Made by scikit-learn itself: test/fixtures/sklearn/make_sklearn_curves.py (Debian python3-sklearn).
const fixture = JSON.parse(readFileSync(new URL("../fixtures/sklearn/curves.json", import.meta.url), "utf8")) as { sklearn: string; cases: Case[]; numpy_sums: Array<{ values: number[]; sum: number; naive: number }> };

describe(`sklearn-exact curves (golden results of scikit-learn ${fixture.sklearn})`, () => {
  it("covers binary, ties, constant scores, -1/1 labels and multi-class cases", () => {
    const names = fixture.cases.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["binary-ties", "binary-constant-scores", "binary-minus-one", "multi-3", "multi-strings-ties"]));
  });

  for (const c of fixture.cases) {
    it(`${c.name}: roc_curve(drop_intermediate=True), auc, precision_recall_curve, average_precision_score bit for bit`, () => {
      const roc = sklearnCurves(c.y_preds, c.y_targets, c.multi_class, "test", sklearnRocCurve);
      const pr = sklearnCurves(c.y_preds, c.y_targets, c.multi_class, "test", sklearnPrCurve);
      expect(roc).toHaveLength(c.classes.length);
      if (c.labels) expect(roc.map((r) => r.label)).toEqual(c.labels);
      c.classes.forEach((g, i) => {
        expect(roc[i]!.result.fpr).toEqual(g.fpr);
        expect(roc[i]!.result.tpr).toEqual(g.tpr);
        expect(roc[i]!.result.auc).toBe(g.auc);
        expect(pyFloatRepr(roc[i]!.result.auc)).toBe(g.auc_str);
        expect(pr[i]!.result.precision).toEqual(g.precision);
        expect(pr[i]!.result.recall).toEqual(g.recall);
        expect(pr[i]!.result.averagePrecision).toBe(g.average_precision);
        expect(pyFloatRepr(pr[i]!.result.averagePrecision)).toBe(g.average_precision_str);
      });
    });
  }

  it("drops intermediate ROC points as sklearn does (collinear points vanish)", () => {
    const c = fixture.cases.find((x) => x.name === "binary-collinear")!;
    const roc = sklearnCurves(c.y_preds, c.y_targets, false, "test", sklearnRocCurve)[0]!.result;
    expect(roc.fpr).toHaveLength(6); // 10 distinct scores: 11 points before dropping
    expect(roc.fpr).toEqual(c.classes[0]!.fpr);
  });

  it("sums as numpy does (pairwise), not left to right", () => {
    for (const { values, sum, naive } of fixture.numpy_sums) {
      expect(sum).not.toBe(naive);
      expect(numpySum(values)).toBe(sum);
    }
  });

  it("refuses inputs sklearn answers with NaN or an error, with a named error", () => {
    expect(() => sklearnCurves([0.1, 0.2], [1, 1], false, "logSklearnRocAucCurve", sklearnRocCurve)).toThrow(InvalidValueError);
    expect(() => sklearnCurves([0.1, 0.2], [0, 0], false, "logSklearnPrCurve", sklearnPrCurve)).toThrow(/at least one positive/);
    expect(() => sklearnCurves([0.1, 0.2], [0, 2], false, "logSklearnRocAucCurve", sklearnRocCurve)).toThrow(/isMultiClass/);
    expect(() => sklearnCurves([0.1, 0.2, 0.3], [0, 1], false, "m", sklearnRocCurve)).toThrow(/same length/);
    expect(() => sklearnCurves([[0.1], [0.2]], [0, 1], true, "m", sklearnRocCurve)).toThrow(/one score per class/);
    expect(() => sklearnCurves([0.1, Number.NaN], [0, 1], false, "m", sklearnRocCurve)).toThrow(/finite/);
  });
});

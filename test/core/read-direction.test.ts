import { describe, expect, it } from "vitest";
import { defaultDirection, metricDirection, recordedDirections } from "../../src/core/read/direction.js";
import { resolveMode } from "../../src/core/retention.js";

describe("metric direction: one rule", () => {
  it("knows the usual higher-is-better metrics, Keras/tfjs names included", () => {
    const max = ["acc", "val_acc", "accuracy", "val_accuracy", "categoricalAccuracy", "sparse_categorical_accuracy", "auc", "val_auc", "roc_auc", "f1", "val_f1", "f1_score", "fmeasure", "precision", "recall", "val/recall", "val__precision", "iou", "mean_iou", "r2", "map", "ndcg", "bleu", "top5"];
    for (const m of max) expect(defaultDirection(m), m).toBe("max");
  });

  it("reads losses, errors and unknown names as lower-is-better, and a loss wins over a score word", () => {
    const min = ["loss", "val_loss", "batch_loss", "mse", "mae", "val_rmse", "error", "perplexity", "nll", "lr", "learning_rate", "margin", "f1_loss", "auc_loss", "accuracy_error", "categoricalCrossentropy"];
    for (const m of min) expect(defaultDirection(m), m).toBe("min");
  });

  it("a recorded policy mode wins; auto or garbage counts as not recorded", () => {
    expect(metricDirection("val_loss", "max")).toBe("max");
    expect(metricDirection("val_acc", "min")).toBe("min");
    expect(metricDirection("val_acc", "auto")).toBe("max");
    expect(metricDirection("val_acc", 3)).toBe("max");
  });

  it("retention's auto mode is the same rule", () => {
    for (const m of ["auc", "f1", "loss", "val_acc", "lr"]) expect(resolveMode(m, "auto")).toBe(defaultDirection(m));
    expect(resolveMode(undefined)).toBe("min");
    expect(resolveMode("auc", "min")).toBe("min");
  });

  it("reads the modes a run recorded in its versioned streams' best", () => {
    const modes = recordedDirections([
      { name: "clf", kind: "model", path: "events/model/clf.plx", summary: { best: { step: 3, monitor: "margin", mode: "max", value: 2 } } },
      { name: "old", kind: "model", path: "events/model/old.plx", summary: { best: { step: 1, monitor: "val_loss", value: 0.1 } } },
      { name: "loss", kind: "metric", path: "events/metric/loss.plx", summary: { is_event: true } },
    ]);
    expect([...modes]).toEqual([["margin", "max"]]);
  });
});

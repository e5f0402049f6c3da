import type { V1RunArtifact } from "../lineage.js";

/** Which way a metric improves: `min` (lower is better) or `max` (higher is better). */
export type Direction = "min" | "max";

/**
 * Words that name a higher-is-better quantity. A metric is `max` when one of its name's words
 * (split at every non-alphanumeric character and at camelCase humps) is one of these or contains `acc`,
 * unless the name also says it is a loss or an error (`f1_loss` is `min`).
 *
 * The list is Keras's: its built-in metrics whose direction is "up" (accuracy and its variants,
 * AUC, precision, recall, F1/F-beta, IoU, R², cosine similarity, true positives/negatives,
 * sensitivity/specificity), the legacy Keras/tfjs rule (`acc` in the name, names starting
 * with `fmeasure`), and the usual ranking and generation scores (mAP, NDCG, BLEU, ROUGE,
 * PSNR, SSIM, Dice).
 */
const HIGHER_IS_BETTER = new Set([
  "auc",
  "prauc",
  "f1",
  "fbeta",
  "fmeasure",
  "fscore",
  "precision",
  "prec",
  "recall",
  "sensitivity",
  "specificity",
  "tpr",
  "tnr",
  "iou",
  "miou",
  "jaccard",
  "dice",
  "r2",
  "map",
  "ap",
  "ndcg",
  "mrr",
  "bleu",
  "rouge",
  "meteor",
  "psnr",
  "ssim",
  "cosine",
  "similarity",
  "reward",
  "hits",
  "top1",
  "top5",
  "topk",
  "truepositives",
  "truenegatives",
]);

/** Words that say lower is better; they win over {@link HIGHER_IS_BETTER} (`auc_loss` is `min`). */
const LOWER_IS_BETTER = new Set(["loss", "error", "err", "errors", "mse", "mae", "rmse", "mape", "msle", "nll", "perplexity", "ppl", "crossentropy", "hinge", "kld", "cost", "fpr", "fnr", "wer", "cer", "regret", "distance", "dist"]);

function words(metric: string): string[] {
  // `val/acc` is stored as `val__acc` (to_fqn_name); tfjs names metrics in camelCase (`categoricalAccuracy`).
  return metric
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/**
 * The default direction of a metric, from its name alone: `min` for losses and errors, `max`
 * for the usual higher-is-better scores (accuracy/`acc`, AUC, F1, precision, recall, …; see
 * {@link HIGHER_IS_BETTER}), and `min` for everything else — Keras and TensorFlow.js also fall
 * back to `min` in `mode: "auto"` for a name they do not know.
 *
 * @example
 * defaultDirection("val_acc");  // "max"
 * defaultDirection("auc");      // "max"
 * defaultDirection("val_loss"); // "min"
 * defaultDirection("lr");       // "min"
 */
export function defaultDirection(metric: string): Direction {
  const ws = words(metric);
  if (ws.some((w) => LOWER_IS_BETTER.has(w) || w.endsWith("loss"))) return "min";
  if (ws.some((w) => HIGHER_IS_BETTER.has(w) || w.includes("acc") || w.startsWith("fmeasure"))) return "max";
  return "min";
}

/**
 * THE rule for which way a metric improves, used by retention, checkpoint selection,
 * `runtrail show` and the dashboard: the `mode` a policy recorded for it (`"min"` or `"max"`)
 * when there is one, else {@link defaultDirection}. A recorded `"auto"` (or anything else)
 * counts as not recorded.
 *
 * @example
 * metricDirection("val_score", "max"); // "max"
 * metricDirection("val_score");        // "min" (no recorded mode, an unknown name)
 */
export function metricDirection(metric: string, recorded?: unknown): Direction {
  if (recorded === "min" || recorded === "max") return recorded;
  return defaultDirection(metric);
}

/**
 * The directions a run recorded: the `mode` of every versioned stream's `best` in its lineage
 * (`summary.best = { monitor, mode, … }`, written by the checkpoint policies), by monitored
 * metric. Pass an entry to {@link metricDirection}.
 *
 * @example
 * const modes = recordedDirections(run.lineage);
 * metricDirection("val_score", modes.get("val_score"));
 */
export function recordedDirections(lineage: readonly V1RunArtifact[]): Map<string, Direction> {
  const out = new Map<string, Direction>();
  for (const rec of lineage) {
    const best = rec?.summary?.best as { monitor?: unknown; mode?: unknown } | undefined;
    if (!best || typeof best !== "object" || typeof best.monitor !== "string") continue;
    if (best.mode === "min" || best.mode === "max") out.set(best.monitor, best.mode);
  }
  return out;
}

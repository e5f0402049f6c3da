import { InvalidValueError } from "./errors.js";
import { metricDirection } from "./read/direction.js";
import { show } from "./validate.js";

/** How a monitored value is compared: lower is better (`min`), higher is better (`max`), or inferred (`auto`). */
export type MonitorMode = "min" | "max" | "auto";

/** Selection and retention rules, shared by every checkpointing adapter. */
export interface RetentionOptions {
  /** Metric that ranks versions (e.g. `"val_loss"`). Required for `keepBest` and `saveBestOnly`. */
  monitor?: string;
  /**
   * Default `"auto"`: the direction the name implies (`max` for accuracy/`acc`, AUC, F1,
   * precision, recall…, `min` for losses, errors and unknown names; see `defaultDirection`).
   * The resolved mode is recorded in the stream's lineage (`best.mode`), so readers agree.
   */
  mode?: MonitorMode;
  /** Save only when the monitored value beats the best so far (never just the previous one). Default false. */
  saveBestOnly?: boolean;
  /** Keep the N newest versions. With `keepBest`, the union of both sets is kept. Default: keep all. */
  keepLast?: number;
  /** Keep the N best versions by `monitor`. Default: keep all. */
  keepBest?: number;
}

/** A version as the policy sees it: its step and, when known, the monitored value. */
export interface RankedVersion {
  step: number;
  value?: number;
}

/** The policy's mode, `"auto"` resolved by the one direction rule (`metricDirection`). */
export function resolveMode(monitor: string | undefined, mode: MonitorMode = "auto"): "min" | "max" {
  return metricDirection(monitor ?? "", mode);
}

/** Checks the options once, with errors that say what is allowed. */
export function checkRetentionOptions(opts: RetentionOptions, where: string): void {
  if (opts.mode !== undefined && !["min", "max", "auto"].includes(opts.mode)) {
    throw new InvalidValueError(`${where}: mode must be "min", "max" or "auto" (got ${show(opts.mode)}).`, opts.mode);
  }
  for (const key of ["keepLast", "keepBest"] as const) {
    const v = opts[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new InvalidValueError(`${where}: ${key} must be a positive integer (got ${v}).`, v);
    }
  }
  if ((opts.keepBest !== undefined || opts.saveBestOnly) && !opts.monitor) {
    throw new InvalidValueError(`${where}: keepBest and saveBestOnly need \`monitor\`, the metric that ranks checkpoints (e.g. "val_loss").`, opts);
  }
}

/** True when `candidate` is strictly better than `best` (a missing best is beaten by any number). */
export function isImprovement(candidate: number | undefined, best: number | undefined, mode: "min" | "max"): boolean {
  if (candidate === undefined || Number.isNaN(candidate)) return false;
  if (best === undefined || Number.isNaN(best)) return true;
  return mode === "min" ? candidate < best : candidate > best;
}

/** The best version by value (the earliest wins a tie), or undefined when none has a value. */
export function bestVersion<V extends RankedVersion>(versions: readonly V[], mode: "min" | "max"): V | undefined {
  let best: V | undefined;
  for (const v of versions) if (isImprovement(v.value, best?.value, mode)) best = v;
  return best;
}

/**
 * The steps to keep: the `keepLast` newest and the `keepBest` best (the union when both are
 * set); every step when neither is set.
 */
export function selectRetained(versions: readonly RankedVersion[], opts: RetentionOptions): Set<number> {
  if (opts.keepLast === undefined && opts.keepBest === undefined) return new Set(versions.map((v) => v.step));
  const keep = new Set<number>();
  if (opts.keepLast !== undefined) {
    [...versions].sort((a, b) => b.step - a.step).slice(0, opts.keepLast).forEach((v) => keep.add(v.step));
  }
  if (opts.keepBest !== undefined) {
    const mode = resolveMode(opts.monitor, opts.mode);
    const ranked = versions.filter((v) => v.value !== undefined && !Number.isNaN(v.value));
    ranked.sort((a, b) => (mode === "min" ? a.value! - b.value! : b.value! - a.value!) || a.step - b.step);
    ranked.slice(0, opts.keepBest).forEach((v) => keep.add(v.step));
  }
  return keep;
}

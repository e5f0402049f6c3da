import type { CheckpointPolicy } from "../../core/checkpoints.js";
import { InvalidValueError, NoActiveRunError, RunEndedError } from "../../core/errors.js";
import type { RetentionOptions } from "../../core/retention.js";
import type { Run } from "../../core/run.js";
import { getDefaultRun } from "../../core/tracking.js";
import type { LayersModel, TfModule } from "./types.js";

/**
 * When and how `TrackingCallback` saves checkpoints. Selection and retention follow the shared
 * rules of `runtrail` (see `RetentionOptions`): `monitor` + `mode` rank versions, `saveBestOnly`
 * compares with the best so far, `keepLast` and `keepBest` together keep the union of both sets.
 *
 * @example
 * { every: "epoch", monitor: "val_loss", keepBest: 3 }        // mode "auto" → min for a loss
 * { every: 100, monitor: "acc", mode: "max", keepLast: 2 }    // every 100 batches, on the batch's metrics
 */
export interface CheckpointOptions extends RetentionOptions {
  /**
   * `"epoch"`: at each epoch end, step = the epoch index (the step of the epoch metrics), with the
   * epoch's metrics (`val_*` included). N: every N batches, step = the global batch step, with
   * that batch's metrics. Default `"epoch"`.
   */
  every?: "epoch" | number;
  /** Save the optimizer's state with the weights so training resumes exactly. Default true. */
  includeOptimizer?: boolean;
  /** Stream name: versions are `assets/model/<name>_<step>/`. Default `"model"`. */
  name?: string;
}

/**
 * Options of `TrackingCallback`.
 *
 * @example
 * new TrackingCallback({ tf, logEvery: "batch", checkpoint: { monitor: "val_loss", keepBest: 3 } })
 */
export interface TrackingCallbackOptions {
  /** The run to log to. Default: the run of the latest `init()`. */
  run?: Run;
  /**
   * Epoch metrics are always logged. `"batch"` also logs every batch as `batch_<name>`, N every
   * N-th batch, at the global batch step (batches trained so far, never restarting). Default `"epoch"`.
   */
  logEvery?: "epoch" | "batch" | number;
  /** Save versioned checkpoints; `true` for the defaults (every epoch, keep all). Default: none. */
  checkpoint?: CheckpointOptions | boolean;
  /**
   * The model to checkpoint and describe. Default: the one tfjs hands to callbacks, which for a
   * `tf.sequential()` is the functional model inside it (same layers and weights; it reloads as a
   * `tf.LayersModel`). Pass the Sequential itself to have checkpoints reload as a `Sequential`.
   */
  model?: LayersModel;
  /**
   * The TensorFlow.js module the model is built with. Default: an already loaded, else the first
   * installed of `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`, `@tensorflow/tfjs`.
   * Pass it when the program may hold several copies of tfjs.
   */
  tf?: TfModule;
}

/** Options checked once, with every default applied. */
export interface ResolvedOptions {
  run: Run;
  model?: LayersModel;
  /** Log batch metrics every this many batches; 0 = epoch metrics only. */
  batchEvery: number;
  checkpoint?: {
    /** 0 = every epoch; N = every N batches. */
    everyBatches: number;
    includeOptimizer: boolean;
    policy: CheckpointPolicy;
  };
}

function positiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 1;
}

/** Validates the options (errors say what is allowed) and applies defaults. */
export function resolveOptions(opts: TrackingCallbackOptions): ResolvedOptions {
  if (opts === null || typeof opts !== "object") throw new InvalidValueError("TrackingCallback: pass an options object (or nothing).", opts);
  const run = opts.run ?? getDefaultRun();
  if (run === undefined) throw new NoActiveRunError("TrackingCallback");
  if (typeof run.logMetric !== "function" || typeof run.artifactsPath !== "string") {
    throw new InvalidValueError("TrackingCallback: `run` must be a runtrail Run (from `await init()`).", run);
  }
  if (run.isEnded) throw new RunEndedError(run.uuid, "TrackingCallback");

  const logEvery = opts.logEvery ?? "epoch";
  let batchEvery: number;
  if (logEvery === "epoch") batchEvery = 0;
  else if (logEvery === "batch") batchEvery = 1;
  else if (positiveInt(logEvery)) batchEvery = logEvery;
  else throw new InvalidValueError(`TrackingCallback: logEvery must be "epoch", "batch" or a positive integer (got ${JSON.stringify(logEvery)}).`, logEvery);

  if (opts.model !== undefined && (opts.model === null || typeof (opts.model as { save?: unknown }).save !== "function")) {
    throw new InvalidValueError("TrackingCallback: `model` must be a tfjs LayersModel (the model you call fit on).", opts.model);
  }
  const resolved: ResolvedOptions = { run, batchEvery, ...(opts.model !== undefined && { model: opts.model }) };
  const c = opts.checkpoint === true ? {} : opts.checkpoint;
  if (c === undefined || c === false) return resolved;
  if (c === null || typeof c !== "object") {
    throw new InvalidValueError("TrackingCallback: checkpoint must be an options object, true or false.", c);
  }
  const every = c.every ?? "epoch";
  if (every !== "epoch" && !positiveInt(every)) {
    throw new InvalidValueError(`TrackingCallback: checkpoint.every must be "epoch" or a positive number of batches (got ${JSON.stringify(every)}).`, every);
  }
  if (c.includeOptimizer !== undefined && typeof c.includeOptimizer !== "boolean") {
    throw new InvalidValueError(`TrackingCallback: checkpoint.includeOptimizer must be a boolean (got ${JSON.stringify(c.includeOptimizer)}).`, c.includeOptimizer);
  }
  const { every: _every, includeOptimizer, name, ...retention } = c;
  resolved.checkpoint = {
    everyBatches: every === "epoch" ? 0 : every,
    includeOptimizer: includeOptimizer ?? true,
    policy: { ...retention, name: name ?? "model", framework: "tfjs" },
  };
  return resolved;
}

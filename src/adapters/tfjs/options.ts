import type { Clock, SaveEvery } from "../../core/checkpoint-schedule.js";
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
 * { every: { seconds: 600 }, monitor: "val_loss", keepBest: 1, restoreBestWeights: true }
 */
export interface CheckpointOptions extends RetentionOptions {
  /**
   * `"epoch"`: at each epoch end, step = the epoch index (the step of the epoch metrics), with the
   * epoch's metrics (`val_*` included). N: every N batches, step = the global batch step, with
   * that batch's metrics. An object is the schedule of the generic checkpoint hook
   * (`runtrail/checkpoint`'s `every`), counted in epochs or in batches:
   * `{ seconds: 600 }` (checked at epoch ends), `{ epochs: 2 }`, `{ epochs: 5, seconds: 600 }`,
   * `{ batches: 500, seconds: 600 }` (checked at batch ends). A checkpoint is due when either
   * part says so. Default `"epoch"`.
   */
  every?: "epoch" | number | CheckpointEvery;
  /** Save the optimizer's state with the weights so training resumes exactly. Default true. */
  includeOptimizer?: boolean;
  /** Stream name: versions are `assets/model/<name>_<step>/`. Default `"model"`. */
  name?: string;
  /**
   * When `fit` ends — all epochs done, `model.stopTraining` set, or tfjs's own `earlyStopping`
   * in the same callbacks list — load the weights of the best checkpoint still on disk (by
   * `monitor`, which it needs) into the model, and record its step in the stream's lineage
   * (`summary.restored`). What tfjs's `earlyStopping({ restoreBestWeights })` leaves
   * unimplemented. Keep that checkpoint on disk with `keepBest` (≥ 1) when you also set `keepLast`.
   * Default false.
   */
  restoreBestWeights?: boolean;
  /** Milliseconds for `every.seconds`; inject a fake clock in tests. Default `performance.now`. */
  clock?: Clock;
}

/**
 * A checkpoint schedule counted in epochs (`epochs`: every N epochs, at the epoch ends) or in
 * batches (`batches`: every N batches of the global batch step), and/or by wall time (`seconds`,
 * at the first epoch end — or batch end, with `batches` — that many seconds after the previous
 * checkpoint or the start of training). Set `epochs` or `batches`, not both.
 */
export interface CheckpointEvery {
  /** Every N epochs (N, 2N… epochs trained, counting the `initialEpoch` ones). A positive integer. */
  epochs?: number;
  /** Every N batches of the global batch step. A positive integer. */
  batches?: number;
  /** At least this many seconds of wall time apart. A positive number. */
  seconds?: number;
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
    /** Whether checkpoints are taken at epoch ends or at batch ends. */
    unit: "epoch" | "batch";
    /** The schedule, in units of `unit` (epochs trained, or the global batch step). */
    every: SaveEvery;
    clock?: Clock;
    includeOptimizer: boolean;
    restoreBestWeights: boolean;
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
  for (const key of ["includeOptimizer", "restoreBestWeights"] as const) {
    if (c[key] !== undefined && typeof c[key] !== "boolean") {
      throw new InvalidValueError(`TrackingCallback: checkpoint.${key} must be a boolean (got ${JSON.stringify(c[key])}).`, c[key]);
    }
  }
  if (c.restoreBestWeights && !c.monitor) {
    throw new InvalidValueError(
      `TrackingCallback: checkpoint.restoreBestWeights needs \`monitor\`, the metric that says which checkpoint is best (e.g. "val_loss").`,
      c.restoreBestWeights,
    );
  }
  if (c.clock !== undefined && typeof c.clock !== "function") {
    throw new InvalidValueError("TrackingCallback: checkpoint.clock must be a function returning milliseconds.", c.clock);
  }
  const { every: _every, includeOptimizer, restoreBestWeights, clock, name, ...retention } = c;
  resolved.checkpoint = {
    ...resolveEvery(c.every ?? "epoch"),
    ...(clock !== undefined && { clock }),
    includeOptimizer: includeOptimizer ?? true,
    restoreBestWeights: restoreBestWeights ?? false,
    policy: { ...retention, name: name ?? "model", framework: "tfjs" },
  };
  return resolved;
}

/** `every` as a unit and the core's schedule (`steps` counted in that unit). */
function resolveEvery(every: unknown): { unit: "epoch" | "batch"; every: SaveEvery } {
  if (every === "epoch") return { unit: "epoch", every: { steps: 1 } };
  if (positiveInt(every)) return { unit: "batch", every: { steps: every } };
  const where = "TrackingCallback: checkpoint.every";
  const usage = `${where} must be "epoch", a positive number of batches, or { epochs | batches, seconds } (e.g. { seconds: 600 }, { epochs: 2 }, { batches: 500, seconds: 600 })`;
  if (every === null || typeof every !== "object") throw new InvalidValueError(`${usage} (got ${JSON.stringify(every)}).`, every);
  const { epochs, batches, seconds, ...rest } = every as CheckpointEvery;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new InvalidValueError(`${usage} (got the unknown key ${JSON.stringify(unknown[0])}).`, every);
  if (epochs !== undefined && batches !== undefined) {
    throw new InvalidValueError(`${usage}: set epochs or batches, not both.`, every);
  }
  if (epochs === undefined && batches === undefined && seconds === undefined) throw new InvalidValueError(`${usage} (got none of them).`, every);
  for (const [key, v] of [["epochs", epochs], ["batches", batches]] as const) {
    if (v !== undefined && !positiveInt(v)) throw new InvalidValueError(`${usage} (got ${key}: ${JSON.stringify(v)}, not a positive integer).`, every);
  }
  if (seconds !== undefined && (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0)) {
    throw new InvalidValueError(`${usage} (got seconds: ${JSON.stringify(seconds)}, not a positive number).`, every);
  }
  const steps = epochs ?? batches;
  return {
    unit: batches !== undefined ? "batch" : "epoch",
    every: { ...(steps !== undefined && { steps }), ...(seconds !== undefined && { seconds }) },
  };
}

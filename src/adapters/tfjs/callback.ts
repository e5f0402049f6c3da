import type * as tfjs from "@tensorflow/tfjs";
import type { CheckpointInfo } from "../../core/checkpoints.js";
import type { RunWriteError } from "../../core/errors.js";
import type { Run } from "../../core/run.js";
import { TfjsMismatchError } from "./errors.js";
import { resolveTf } from "./load-tf.js";
import { resolveOptions, type TrackingCallbackOptions } from "./options.js";
import { TfjsTracker } from "./tracker.js";
import type { TfModule, UnresolvedLogs } from "./types.js";

const TRACKER: unique symbol = Symbol.for("runtrail.tfjs.tracker");

type Tracked = { [TRACKER]?: TfjsTracker };
type CallbackClass = new (tracker: TfjsTracker) => TrackingCallback;

/** One pair of classes per tfjs copy (keyed by its CustomCallback), built on first use. */
const CLASSES = new WeakMap<object, { epoch: CallbackClass; batch: CallbackClass }>();

function trackerOf(self: unknown, hook: string): TfjsTracker {
  const t = (self as Tracked | null | undefined)?.[TRACKER];
  if (t === undefined) throw new TfjsMismatchError(hook);
  return t;
}

/**
 * Subclasses of the user's own `tf.CustomCallback` (tfjs's `standardizeCallbacks` recognises the
 * first callback only by `instanceof`), as tfjs-node's TensorBoardCallback does. The hooks are
 * overridden rather than passed as closures: if tfjs still took the callback for a plain object
 * (another tfjs copy), its wrapper calls them unbound and they report TfjsMismatchError instead
 * of recursing. The batch values are read back from the backend only in the second class, used
 * when they are logged or checkpointed; the first one's batch hook only lets a checkpoint being
 * written progress.
 */
function classesFor(tf: TfModule): { epoch: CallbackClass; batch: CallbackClass } {
  const cached = CLASSES.get(tf.CustomCallback);
  if (cached) return cached;

  class EpochTracking extends tf.CustomCallback {
    declare readonly [TRACKER]: TfjsTracker;

    constructor(tracker: TfjsTracker) {
      // "never": the callback adds no event-loop yields of its own (tfjs's default is one every 125 ms).
      super({}, "never");
      Object.defineProperty(this, TRACKER, { value: tracker });
    }

    get run(): Run {
      return trackerOf(this, "run").run;
    }
    get errors(): readonly RunWriteError[] {
      return trackerOf(this, "errors").errors;
    }
    get globalStep(): number {
      return trackerOf(this, "globalStep").globalStep;
    }
    latest(): CheckpointInfo | undefined {
      return trackerOf(this, "latest").latest();
    }
    best(): CheckpointInfo | undefined {
      return trackerOf(this, "best").best();
    }
    checkpoints(): CheckpointInfo[] {
      return trackerOf(this, "checkpoints").list();
    }
    saved(): Promise<void> {
      return trackerOf(this, "saved").settle();
    }

    override setModel(model: Parameters<tfjs.CustomCallback["setModel"]>[0]): void {
      const tracker = trackerOf(this, "setModel");
      tracker.model = tracker.explicitModel ?? (model as unknown as tfjs.LayersModel);
    }
    override async onTrainBegin(): Promise<void> {
      await trackerOf(this, "onTrainBegin").trainBegin(this.params as Record<string, unknown> | undefined);
    }
    override async onEpochEnd(epoch: number, logs?: UnresolvedLogs): Promise<void> {
      await trackerOf(this, "onEpochEnd").epochEnd(epoch, logs);
    }
    override async onTrainEnd(): Promise<void> {
      await trackerOf(this, "onTrainEnd").trainEnd();
    }
    override async onBatchEnd(_batch: number, _logs?: UnresolvedLogs): Promise<void> {
      await trackerOf(this, "onBatchEnd").yieldToWriter();
    }
  }

  class BatchTracking extends EpochTracking {
    override async onEpochBegin(epoch: number): Promise<void> {
      trackerOf(this, "onEpochBegin").epoch = epoch;
    }
    override async onBatchEnd(batch: number, logs?: UnresolvedLogs): Promise<void> {
      await trackerOf(this, "onBatchEnd").batchEnd(batch, logs);
    }
  }

  for (const c of [EpochTracking, BatchTracking]) Object.defineProperty(c, "name", { value: "TrackingCallback" });
  const classes = { epoch: EpochTracking as unknown as CallbackClass, batch: BatchTracking as unknown as CallbackClass };
  CLASSES.set(tf.CustomCallback, classes);
  return classes;
}

/** A {@link TrackingCallback} instance: a `tf.CustomCallback` of the user's tfjs plus these members. */
export interface TrackingCallback extends tfjs.CustomCallback {
  /** The run it logs to. */
  readonly run: Run;
  /**
   * Failures that did not stop training (a checkpoint that could not be written, the model
   * summary, the final flush), oldest first. Each was also emitted as a process warning.
   */
  readonly errors: readonly RunWriteError[];
  /** Batches trained so far: the step of batch metrics, continuing across fits and resumed runs. */
  readonly globalStep: number;
  /** The newest checkpoint still on disk, or undefined. */
  latest(): CheckpointInfo | undefined;
  /** The best checkpoint on disk by `monitor`, or undefined. */
  best(): CheckpointInfo | undefined;
  /** Every checkpoint still on disk, oldest first (versions of earlier sessions of a resumed run included). */
  checkpoints(): CheckpointInfo[];
  /**
   * Resolves once the checkpoints being written (one in flight, one waiting at most) are
   * committed (or recorded in `errors`). A checkpoint is snapshotted at its epoch end and written
   * while training goes on; `fit` resolves only after all of them are done, so this is for code
   * that runs during `fit`.
   */
  saved(): Promise<void>;
}

/**
 * A `model.fit` callback that tracks training in a runtrail run.
 *
 * - Epoch metrics keep tfjs's names (`loss`, `acc`, `val_loss`…) at step = the epoch index tfjs
 *   reports (which continues with `initialEpoch`); `lr` when the optimizer has a numeric
 *   `learningRate`. With `logEvery: "batch" | N`, batch metrics `batch_<name>` at the global
 *   batch step (batches trained so far, never restarting, also across resumed runs).
 * - At the first train begin: `layers`, `optimizer`, `loss`, `batch_size`, `epochs` into the
 *   run's inputs, and `outputs/model_summary.txt`.
 * - With `checkpoint`: versions `assets/model/<name>_<step>/` (`model.json` + `weights.bin`, the
 *   tfjs-node `file://` layout, optimizer state included by default) through the run's
 *   `saveModel`, `framework: "tfjs"`, selected and pruned by the shared retention policy. The
 *   model is snapshotted at the checkpoint and written while the next batches train (see `saved()`).
 *   `every` also takes the generic hook's schedule (`{ seconds: 600 }`, `{ epochs: 2 }`,
 *   `{ batches: 500, seconds: 600 }`), and `restoreBestWeights: true` loads the best checkpoint
 *   back into the model when `fit` ends, however it ends (its step goes into the lineage).
 *
 * A `monitor` the logs do not contain rejects `fit` with `UnknownMonitorError` at the first
 * checkpoint (the first epoch end by default). A checkpoint that cannot be written does not
 * stop training and leaves nothing half-written: it lands in `errors` and a process warning.
 * `onTrainEnd` flushes the run; ending it stays with you.
 *
 * The instance extends the `CustomCallback` of the tfjs module in use (see `tf`), so it can be
 * the first of `fit`'s callbacks.
 *
 * @example
 * import * as tf from "@tensorflow/tfjs";
 * import { init } from "runtrail";
 * import { TrackingCallback } from "runtrail/tfjs";
 *
 * const run = await init({ project: "demo" });
 * await model.fit(xs, ys, {
 *   epochs: 20, validationSplit: 0.2,
 *   callbacks: [new TrackingCallback({ tf, logEvery: "batch", checkpoint: { monitor: "val_loss", keepBest: 3 } })],
 * });
 * await run.end();
 */
export class TrackingCallback {
  constructor(options: TrackingCallbackOptions = {}) {
    const resolved = resolveOptions(options);
    const tf = resolveTf(options.tf);
    const tracker = new TfjsTracker(tf, resolved);
    const { epoch, batch } = classesFor(tf);
    return new (tracker.usesBatches ? batch : epoch)(tracker);
  }

  /** True for callbacks made by this constructor, whichever tfjs copy they extend. */
  static [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === "object" && x !== null && (x as Tracked)[TRACKER] !== undefined;
  }
}

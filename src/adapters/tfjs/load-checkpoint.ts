import { join } from "node:path";
import { fileIOHandler, MODEL_JSON } from "./file-io.js";
import { findCheckpoint, type FindCheckpointOptions, type RunOrPath } from "./find-checkpoint.js";
import { resolveTf } from "./load-tf.js";
import { restoreOptimizerState } from "./optimizer-state.js";
import type { LayersModel, ModelArtifacts, ModelCompileArgs, TfModule } from "./types.js";

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions extends FindCheckpointOptions {
  /** The TensorFlow.js module to build the model with. Default: the installed one (see `TrackingCallback`'s `tf`). */
  tf?: TfModule;
  /**
   * Compile the model with these arguments instead of the training config saved with the
   * checkpoint (needed for custom losses or metrics, or checkpoints saved with
   * `includeOptimizer: false`). The saved optimizer state is still restored when the optimizer
   * class matches. Default: compile from the saved config when there is one.
   */
  compile?: ModelCompileArgs;
}

/**
 * Loads a checkpoint saved by `TrackingCallback` — from a live run, an ended run or a run path —
 * as a `LayersModel` compiled with its optimizer state restored, so `model.fit` continues where
 * it stopped.
 *
 * @example
 * const run = await init({ runUuid });                       // resume the run
 * const ckpt = await findCheckpoint(run, { step: "latest" });
 * const model = await loadCheckpoint(run, { step: ckpt.step, tf });
 * await model.fit(xs, ys, { epochs: 20, initialEpoch: ckpt.epoch! + 1, callbacks: [new TrackingCallback({ tf, checkpoint: {} })] });
 */
export async function loadCheckpoint(runOrPath: RunOrPath, opts: LoadCheckpointOptions = {}): Promise<LayersModel> {
  const tf = resolveTf(opts.tf);
  const ckpt = await findCheckpoint(runOrPath, opts);
  return loadModelFolder(tf, ckpt.path, opts.compile);
}

/** Loads a `file://`-layout folder; with `compile`, compiles and restores the optimizer state itself. */
export async function loadModelFolder(tf: TfModule, dir: string, compile?: ModelCompileArgs): Promise<LayersModel> {
  const files = fileIOHandler(join(dir, MODEL_JSON));
  if (compile === undefined) return tf.loadLayersModel(files);
  let artifacts: ModelArtifacts | undefined;
  const model = await tf.loadLayersModel({
    load: async () => {
      artifacts = await files.load();
      const { trainingConfig: _ignored, ...rest } = artifacts;
      return rest;
    },
  });
  model.compile(compile);
  await restoreOptimizerState(tf, model, artifacts!);
  return model;
}

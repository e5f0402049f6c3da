import type * as tfjs from "@tensorflow/tfjs";

/**
 * The parts of a TensorFlow.js module the adapter uses: `@tensorflow/tfjs`,
 * `@tensorflow/tfjs-node` or `@tensorflow/tfjs-node-gpu` all fit (types only; nothing is imported).
 *
 * @example
 * import * as tf from "@tensorflow/tfjs";
 * new TrackingCallback({ tf });
 */
export type TfModule = Pick<typeof tfjs, "CustomCallback" | "loadLayersModel" | "io">;

/** A tfjs `LayersModel` (the model `model.fit` trains). */
export type LayersModel = tfjs.LayersModel;

/** `model.compile()`'s argument. */
export type ModelCompileArgs = tfjs.ModelCompileArgs;

/** tfjs's `Logs` before its scalars are read back: each value a number or a scalar tensor. */
export type UnresolvedLogs = { [key: string]: number | tfjs.Scalar };

/** The model artifacts a tfjs IOHandler saves and loads. */
export type ModelArtifacts = tfjs.io.ModelArtifacts;

/** A tfjs IOHandler (`save` and/or `load`). */
export type IOHandler = tfjs.io.IOHandler;

/** One weight's name, shape, dtype (and `group: "optimizer"` for optimizer state). */
export type WeightsManifestEntry = tfjs.io.WeightsManifestEntry;

/** `fit`'s `params` as tfjs passes them to callbacks (`epochs`, `batchSize`, `samples`, `steps`…). */
export type FitParams = { [key: string]: unknown };

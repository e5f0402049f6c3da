import * as tf from "@tensorflow/tfjs";
import { exportTfjsToOnnx, inspectOnnx } from "../../../src/adapters/onnx.js";
import { loadOrt, SESSION_OPTIONS } from "../../../src/adapters/onnx/ort.js";
import { checkParity, type OnnxFeed } from "../../../src/adapters/onnx/parity.js";
import { mulberry32 } from "../../helpers/random.js";
import { useBackend } from "../../tfjs/helpers.js";

export { tf, useBackend };

/** The tolerance of issue #15: float32 parity within 1e-4. */
export const PARITY_TOLERANCE = 1e-4;

/**
 * Replaces every weight with seeded random values, so that parity is not shown on freshly
 * initialised (zero bias, unit variance) weights. Variances stay positive.
 */
export function randomizeWeights(model: tf.LayersModel, seed = 7): void {
  const rand = mulberry32(seed);
  for (const layer of model.layers) randomizeLayer(layer, rand);
}

function randomizeLayer(layer: tf.layers.Layer, rand: () => number): void {
  const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
  if (inner) {
    for (const l of inner) randomizeLayer(l, rand);
    return;
  }
  const values = layer.weights.map((w) => {
    const positive = /variance/.test(w.originalName);
    const shape = w.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: size }, () => (positive ? 0.5 + rand() : rand() - 0.5));
    return tf.tensor(data, shape, "float32");
  });
  if (values.length) layer.setWeights(values);
  tf.dispose(values);
}

/** What one parity run measured. */
export interface ParityRun {
  maxAbsDiff: number;
  bytes: Uint8Array;
}

/**
 * Exports `model`, runs `batch` random rows per input through onnxruntime-node and compares
 * with tfjs `predict` on the current backend, printing the measured max |Δ|.
 * `ints[i]` makes input `i` integer-valued in `[0, ints[i])` (token ids); `reference` replaces
 * the model's own `predict`.
 */
export async function exportParity(label: string, model: tf.LayersModel, opts: { batch?: number; ints?: Array<number | undefined>; seed?: number; reference?: { predict(x: never): unknown } } = {}): Promise<ParityRun> {
  const bytes = await exportTfjsToOnnx(model);
  const signature = await inspectOnnx(bytes, { load: false });
  const rand = mulberry32(opts.seed ?? 11);
  const batch = opts.batch ?? 3;
  const feed: Record<string, tf.Tensor> = {};
  model.inputs.forEach((input, i) => {
    const shape = [batch, ...input.shape.slice(1).map((d) => d ?? 5)];
    const size = shape.reduce((a, b) => a * b, 1);
    const limit = opts.ints?.[i];
    const data = Array.from({ length: size }, () => (limit !== undefined ? Math.floor(rand() * limit) : rand() * 4 - 2));
    feed[signature.inputs[i]!.name] = tf.tensor(data, shape, input.dtype === "int32" ? "int32" : "float32");
  });
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  try {
    const result = await checkParity(ort, session, signature, { sampleInputs: feed as OnnxFeed, reference: opts.reference ?? model, tolerance: PARITY_TOLERANCE });
    console.log(`[parity ${tf.getBackend()}] ${label}: max |Δ| = ${result.maxAbsDiff!.toExponential(2)}`);
    return { maxAbsDiff: result.maxAbsDiff!, bytes };
  } finally {
    tf.dispose(Object.values(feed));
    await session.release();
  }
}

/**
 * Train a small convolutional image classifier with TensorFlow.js (Conv2D, BatchNormalization,
 * MaxPooling2D, Flatten, Dense), tracked by runtrail's callback: epoch metrics, a checkpoint
 * every epoch (the best 2 by val_loss kept) and the best weights restored when fit ends. Then
 * export it to ONNX through the export hook, which checks onnxruntime's outputs against tfjs's
 * own predictions (parity) before logging the model next to its source checkpoint.
 *
 *   npx tsx examples/tfjs-cnn.ts [--root DIR] [--epochs N]     (default root ./plx, or $POLYAXON_OFFLINE_ROOT)
 *
 * The images are generated: 16×16 grey squares holding one bar, horizontal (class 0) or
 * vertical (class 1), at a random place, with noise. In your own project import from
 * "runtrail", "runtrail/tfjs" and "runtrail/onnx" instead of ../src.
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { exportTfjsToOnnx, withOnnxExport } from "../src/adapters/onnx.js";
import { findCheckpoint, TrackingCallback } from "../src/adapters/tfjs.js";
import { init, loadRun } from "../src/index.js";

const { values: args } = parseArgs({ options: { root: { type: "string" }, epochs: { type: "string", default: "8" } } });
const SIZE = 16;

/** `n` images (NHWC, one channel) and one-hot labels, from a seeded generator. */
function bars(n: number, seed: number): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  let s = seed >>> 0;
  const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pixels = new Float32Array(n * SIZE * SIZE);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const vertical = rand() < 0.5;
    const at = 2 + Math.floor(rand() * (SIZE - 4));
    const from = Math.floor(rand() * 6);
    const length = 6 + Math.floor(rand() * (SIZE - 6 - from));
    for (let p = 0; p < SIZE * SIZE; p++) pixels[i * SIZE * SIZE + p] = rand() * 0.4;
    for (let k = from; k < from + length; k++) {
      const [row, col] = vertical ? [k, at] : [at, k];
      pixels[i * SIZE * SIZE + row * SIZE + col] = 1;
    }
    labels.push(vertical ? 1 : 0);
  }
  return { xs: tf.tensor4d(pixels, [n, SIZE, SIZE, 1]), ys: tf.oneHot(tf.tensor1d(labels, "int32"), 2) as tf.Tensor2D };
}

await tf.setBackend("cpu");
const run = await init({ project: "tfjs-example", name: "cnn-bars", ...(args.root !== undefined && { offlineRoot: args.root }) });

const train = bars(384, 1);
const val = bars(96, 2);
const model = tf.sequential({
  name: "bars_cnn",
  layers: [
    tf.layers.conv2d({ inputShape: [SIZE, SIZE, 1], filters: 8, kernelSize: 3, padding: "same", activation: "relu" }),
    tf.layers.batchNormalization(),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: "relu" }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 2, activation: "softmax" }),
  ],
});
model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy", metrics: ["acc"] });

// 1. Train, tracked: metrics per epoch, checkpoints, and the best weights back in the model at the end.
const callback = new TrackingCallback({
  tf,
  model, // checkpoint the Sequential itself, so checkpoints reload as a tf.Sequential
  checkpoint: { monitor: "val_loss", keepBest: 2, restoreBestWeights: true },
});
const history = await model.fit(train.xs, train.ys, {
  epochs: Number(args.epochs),
  batchSize: 32,
  validationData: [val.xs, val.ys],
  verbose: 0,
  callbacks: [callback],
});
const valAcc = history.history.val_acc as number[];
console.log(`val_acc by epoch: ${valAcc.map((a, e) => `${e}:${a.toFixed(3)}`).join(" ")}`);
const best = await findCheckpoint(run, { step: "best" });
console.log(`best checkpoint: step ${best.step}, val_loss ${best.metrics.val_loss?.toFixed(4)} (its weights are back in the model)`);

// 2. Export to ONNX; the hook runs the ONNX model in onnxruntime on sample images and compares
//    with tfjs's predict() before logging it, next to the checkpoint it came from.
const sample = bars(16, 3).xs;
try {
  const exportOnnx = withOnnxExport(() => exportTfjsToOnnx(model, { metadataProps: { tfjs_version: tf.version.tfjs } }), {
    run,
    name: "bars-cnn-onnx",
    step: best.step,
    sampleInputs: { input: sample },
    reference: model,
    tolerance: 1e-4,
    summary: { sourceCheckpoint: { name: "model", step: best.step, path: best.path, framework: "tfjs" } },
    onLogged: ({ asset, parity }) => console.log(`parity: max |onnx - tfjs| = ${parity.maxAbsDiff} (tolerance ${parity.tolerance}, ${parity.samples} sample feed); logged ${asset.relPath}`),
  });
  await exportOnnx();
} catch (err) {
  await run.end({ status: "failed" });
  throw err;
} finally {
  tf.dispose([train.xs, train.ys, val.xs, val.ys, sample]);
}
await run.end();

const onnx = (await loadRun(run.artifactsPath)).lineage.find((r) => r.name === "bars-cnn-onnx");
console.log(`onnx model: ${onnx?.path}`);
console.log(`run ${run.uuid} in ${run.artifactsPath}`);
console.log(`look at it: npx runtrail show ${run.artifactsPath}`);

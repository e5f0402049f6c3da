/**
 * Train a small TensorFlow.js model on generated data (y = 2x + 1 plus noise) with the wasm
 * backend, tracked by runtrail: epoch and batch metrics, the training parameters, a model
 * summary, a checkpoint every epoch of which the best 3 by val_loss are kept.
 *
 *   npx tsx examples/tfjs-fit.ts        (runs land in ./plx, or $POLYAXON_OFFLINE_ROOT)
 *
 * In your own project import from "runtrail" and "runtrail/tfjs" instead of ../src.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm"; // registers the "wasm" backend; in Node it finds its .wasm files itself
import { findCheckpoint, listCheckpoints, TrackingCallback } from "../src/adapters/tfjs.js";
import { init, readEvents } from "../src/index.js";

await tf.setBackend("wasm");
const run = await init({ project: "tfjs-example", name: "linear" });

const xs = tf.randomUniform([1024, 1], -1, 1, "float32", 7);
const ys = tf.tidy(() => xs.mul(2).add(1).add(tf.randomNormal([1024, 1], 0, 0.05, "float32", 8)));
const model = tf.sequential({
  layers: [tf.layers.dense({ units: 16, inputShape: [1], activation: "tanh" }), tf.layers.dense({ units: 1 })],
});
model.compile({ loss: "meanSquaredError", optimizer: tf.train.adam(0.02) });

const callback = new TrackingCallback({
  tf, // the module the model is built with (tfjs's callback check is by instanceof)
  model, // checkpoint the Sequential itself (tfjs hands callbacks the functional model inside it)
  logEvery: "batch", // batch_loss at a global batch step, besides the epoch metrics
  checkpoint: { every: "epoch", monitor: "val_loss", keepBest: 3 },
});
await model.fit(xs, ys, { epochs: 15, batchSize: 32, validationSplit: 0.2, verbose: 0, callbacks: [callback] });
await run.end();

const valLoss = await readEvents(run.artifactsPath, "metric", "val_loss");
console.log(`val_loss by epoch: ${valLoss.map((r) => `${r.step}:${r.value.toFixed(4)}`).join(" ")}`);
console.log(`checkpoints kept: ${(await listCheckpoints(run)).map((c) => c.step).join(", ")}`);
const best = await findCheckpoint(run, { step: "best" });
console.log(`best: step ${best.step}, val_loss ${best.metrics.val_loss?.toFixed(4)} → ${best.path}`);
console.log(`run ${run.uuid} in ${run.artifactsPath}`);
console.log(`look at it: npx runtrail show ${run.artifactsPath}`);

/**
 * Resume an interrupted TensorFlow.js training run: the first session trains 4 epochs and stops;
 * the second resumes the same run with `init({ runUuid })`, loads the latest checkpoint (weights
 * and optimizer state) and continues with `initialEpoch`. Epoch steps, the global batch step and
 * the best value so far all continue where they stopped.
 *
 *   npx tsx examples/tfjs-resume.ts     (runs land in ./plx, or $POLYAXON_OFFLINE_ROOT)
 *
 * In your own project import from "runtrail" and "runtrail/tfjs" instead of ../src.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { findCheckpoint, listCheckpoints, loadCheckpoint, TrackingCallback, type CheckpointOptions } from "../src/adapters/tfjs.js";
import { init, readEvents } from "../src/index.js";

await tf.setBackend("wasm");
const EPOCHS = 8;
const checkpoint: CheckpointOptions = { monitor: "val_loss", keepBest: 2, keepLast: 1 };
const fitArgs = { epochs: EPOCHS, batchSize: 32, validationSplit: 0.2, verbose: 0 } as const;

// XOR-like data: two inputs, one label.
const xs = tf.randomUniform([512, 2], 0, 1, "float32", 3);
const ys = tf.tidy(() => xs.greater(0.5).sum(1, true).equal(1).cast("float32"));

// Session 1: a fresh run, stopped after 4 of the 8 epochs (as if the process had been killed).
const first = await init({ project: "tfjs-example", name: "resume" });
const model = tf.sequential({
  layers: [tf.layers.dense({ units: 16, inputShape: [2], activation: "tanh" }), tf.layers.dense({ units: 1, activation: "sigmoid" })],
});
model.compile({ loss: "binaryCrossentropy", optimizer: tf.train.adam(0.05), metrics: ["acc"] });
const stopAt4 = new tf.CustomCallback({ onEpochEnd: async (epoch) => void (epoch === 3 && (model.stopTraining = true)) });
await model.fit(xs, ys, { ...fitArgs, callbacks: [new TrackingCallback({ tf, model, logEvery: "batch", checkpoint }), stopAt4] });
await first.end({ status: "stopped" });
console.log(`session 1: run ${first.uuid}, checkpoints ${(await listCheckpoints(first)).map((c) => c.step).join(", ")}`);

// Session 2: the same run, from its latest checkpoint.
const run = await init({ runUuid: first.uuid });
const ckpt = await findCheckpoint(run, { step: "latest" });
const resumed = await loadCheckpoint(run, { step: ckpt.step, tf }); // compiled, optimizer state restored
console.log(`session 2: resuming from epoch ${ckpt.epoch} (val_loss ${ckpt.metrics.val_loss?.toFixed(4)})`);
const callback = new TrackingCallback({ tf, model: resumed, logEvery: "batch", checkpoint });
await resumed.fit(xs, ys, { ...fitArgs, initialEpoch: ckpt.epoch! + 1, callbacks: [callback] });
await run.end();

const steps = async (name: string) => (await readEvents(run.artifactsPath, "metric", name)).map((r) => r.step);
const batchSteps = await steps("batch_loss");
console.log(`loss steps: ${(await steps("loss")).join(", ")}`);
console.log(`batch_loss steps: ${batchSteps[0]}…${batchSteps.at(-1)} (${batchSteps.length} rows, never restarting)`);
console.log(`checkpoints kept: ${(await listCheckpoints(run)).map((c) => c.step).join(", ")}; best: ${(await findCheckpoint(run, { step: "best" })).step}`);
console.log(`run ${run.uuid} in ${run.artifactsPath}`);

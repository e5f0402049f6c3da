/**
 * Train a small tfjs classifier, checkpoint it, export it to ONNX, check the ONNX model
 * against tfjs's own predictions, and log it — all in Node, no Python.
 *
 *   npx tsx examples/onnx-export.ts        (runs land in ./plx, or $POLYAXON_OFFLINE_ROOT)
 *
 * In your own project import from "runtrail" and "runtrail/onnx" instead of ../src.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { exportTfjsToOnnx, withOnnxExport } from "../src/adapters/onnx.js";
import { init, loadRun } from "../src/index.js";

await tf.setBackend("cpu");
const run = await init({ project: "onnx-example", name: "two-moons" });

// 1. A tiny real training job: classify points inside/outside the unit circle.
const n = 512;
const points = tf.randomUniform([n, 2], -1.5, 1.5, "float32", 42);
const labels = tf.tidy(() => tf.oneHot(points.square().sum(1).less(1).cast("int32"), 2));
const model = tf.sequential({
  name: "circle",
  layers: [
    tf.layers.dense({ units: 16, inputShape: [2], activation: "relu" }),
    tf.layers.dropout({ rate: 0.1 }),
    tf.layers.dense({ units: 16, activation: "tanh" }),
    tf.layers.dense({ units: 2, activation: "softmax" }),
  ],
});
model.compile({ optimizer: tf.train.adam(0.03), loss: "categoricalCrossentropy", metrics: ["acc"] });
const epochs = 20;
await model.fit(points, labels, {
  epochs,
  batchSize: 64,
  verbose: 0,
  callbacks: { onEpochEnd: async (epoch, logs) => run.logMetrics({ loss: logs!.loss!, acc: logs!.acc! }, { step: epoch }) },
});

// 2. Checkpoint it in the tfjs file:// layout (model.json + weights.bin) as a versioned model.
const checkpoint = await run.saveModel({
  name: "circle",
  step: epochs - 1,
  framework: "tfjs",
  write: async (dir) => {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, "weights.bin"), new Uint8Array(artifacts.weightData as ArrayBuffer));
        const manifest = [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }];
        await writeFile(join(dir, "model.json"), JSON.stringify({ modelTopology: artifacts.modelTopology, weightsManifest: manifest, format: "layers-model" }));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
  },
});

// 3. Export to ONNX, validate against tfjs on fresh inputs, and log next to the checkpoint.
const sample = tf.randomUniform([32, 2], -1.5, 1.5, "float32", 7);
const exportOnnx = withOnnxExport(() => exportTfjsToOnnx(model, { metadataProps: { tfjs_version: tf.version.tfjs } }), {
  run,
  name: "circle-onnx",
  step: epochs - 1,
  sampleInputs: { input: sample },
  reference: model, // its predict() gives the expected outputs
  tolerance: 1e-5,
  summary: { sourceCheckpoint: { name: "circle", step: checkpoint.step, path: checkpoint.relPath, framework: "tfjs" } },
  onLogged: ({ asset, parity }) => console.log(`logged ${asset.relPath} (max |onnx - tfjs| = ${parity.maxAbsDiff})`),
});
await exportOnnx();
await run.end();

const { lineage } = await loadRun(run.artifactsPath);
const onnx = lineage.find((r) => r.name === "circle-onnx");
console.log(`run ${run.uuid} in ${run.artifactsPath}`);
console.log(JSON.stringify(onnx?.summary, null, 2));
tf.dispose([points, labels, sample]);

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportParity, PARITY_TOLERANCE, randomizeWeights, tf, useBackend } from "./parity-helper.js";
import { exportTfjsToOnnx, withOnnxExport, type OnnxExportRecord } from "../../../src/adapters/onnx.js";
import { init, loadRun } from "../../../src/index.js";
import { useTmp } from "../../helpers/tmp.js";

type S = tf.SymbolicTensor;

/** A small image classifier: Conv2D/BatchNormalization/MaxPooling2D twice, then Flatten and Dense. */
function smallCnn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: "relu" }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.25 }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
}

/** MobileNet (v1 and v2) building blocks: stem, depthwise-separable block, inverted residual with ReLU6. */
function mobileNetBlock(): tf.LayersModel {
  const bnRelu6 = (x: S): S => tf.layers.reLU({ maxValue: 6 }).apply(tf.layers.batchNormalization().apply(x) as S) as S;
  const input = tf.input({ shape: [32, 32, 3] });
  let x = bnRelu6(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: "same", useBias: false }).apply(input) as S);
  // v1: depthwise 3×3 → BN → ReLU6 → pointwise 1×1 → BN → ReLU6
  x = bnRelu6(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: "same", useBias: false }).apply(x) as S);
  x = bnRelu6(tf.layers.conv2d({ filters: 16, kernelSize: 1, useBias: false }).apply(x) as S);
  // v2 inverted residual: expand 1×1 → depthwise → project 1×1 (linear), added to the block input
  let y = bnRelu6(tf.layers.conv2d({ filters: 48, kernelSize: 1, useBias: false }).apply(x) as S);
  y = bnRelu6(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: "same", useBias: false }).apply(y) as S);
  y = tf.layers.batchNormalization().apply(tf.layers.conv2d({ filters: 16, kernelSize: 1, useBias: false }).apply(y) as S) as S;
  x = tf.layers.add().apply([x, y]) as S;
  x = tf.layers.separableConv2d({ filters: 24, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }).apply(x) as S;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as S;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 5, activation: "softmax" }).apply(pooled) as S });
}

const VOCAB = 500;

/** A text classifier: Embedding → Bidirectional LSTM (sequences) → Bidirectional LSTM → Dense sigmoid. */
function textClassifier(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: 16, inputLength: 20 }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 12, returnSequences: true }) as tf.RNN }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 8 }) as tf.RNN, mergeMode: "concat" }),
      tf.layers.dense({ units: 1, activation: "sigmoid" }),
    ],
  });
}

/** Two inputs (an image and tabular features), two outputs (a class and a value). */
function twoInTwoOut(): tf.LayersModel {
  const image = tf.input({ shape: [12, 12, 2], name: "image" });
  const table = tf.input({ shape: [5], name: "table" });
  let a = tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: "relu" }).apply(image) as S;
  a = tf.layers.globalMaxPooling2d({}).apply(tf.layers.maxPooling2d({ poolSize: 2 }).apply(a) as S) as S;
  const b = tf.layers.dense({ units: 6, activation: "tanh" }).apply(table) as S;
  const joined = tf.layers.concatenate().apply([a, b]) as S;
  const hidden = tf.layers.dense({ units: 8, activation: "relu" }).apply(joined) as S;
  const label = tf.layers.dense({ units: 3, activation: "softmax", name: "label" }).apply(hidden) as S;
  const value = tf.layers.dense({ units: 1, name: "value" }).apply(tf.layers.multiply().apply([a, b]) as S) as S;
  return tf.model({ inputs: [image, table], outputs: [label, value] });
}

const composites: Array<[string, () => tf.LayersModel, Array<number | undefined>?]> = [
  ["small CNN classifier", smallCnn],
  ["MobileNet depthwise-separable and inverted-residual blocks", mobileNetBlock],
  ["Embedding + Bidirectional LSTM text classifier", textClassifier, [VOCAB]],
  ["two-input two-output functional model", twoInTwoOut],
];

describe.each(["cpu", "wasm"] as const)("composite models (tfjs %s backend)", (backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => tf.disposeVariables());

  it.each(composites)("%s matches tfjs predict within 1e-4", async (name, build, ints) => {
    const model = build();
    randomizeWeights(model);
    const { maxAbsDiff } = await exportParity(name, model, { batch: 4, ...(ints && { ints }) });
    expect(maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
    model.dispose();
  });
});

describe("a composite model through withOnnxExport", () => {
  const tmp = useTmp();

  it("logs the exported CNN with the measured parity in its lineage summary", async () => {
    await useBackend("cpu");
    const model = smallCnn();
    randomizeWeights(model);
    const run = await init({ artifactsPath: join(tmp(), "run"), handleExit: false });
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, "float32", 3);
    let record: OnnxExportRecord | undefined;
    try {
      await withOnnxExport(() => exportTfjsToOnnx(model), {
        run,
        name: "cnn",
        step: 1,
        sampleInputs: { input: x },
        reference: model,
        onLogged: (r) => (record = r),
      })();
      await run.flush();
      const parity = record!.parity!;
      console.log(`[parity hook] small CNN through withOnnxExport: max |Δ| = ${parity.maxAbsDiff!.toExponential(2)}`);
      expect(parity).toMatchObject({ checked: true, tolerance: 1e-4, samples: 1 });
      // tfjs's NHWC layout and a symbolic batch dim, as the tfjs model declares them.
      expect(record!.signature.inputs).toEqual([{ name: "input", type: "float32", shape: ["N", 28, 28, 1] }]);
      expect(record!.signature.outputs).toEqual([{ name: "output", type: "float32", shape: ["N", 10] }]);
      expect(parity.maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
      const { lineage } = await loadRun(run.artifactsPath);
      expect(lineage.find((r) => r.name === "cnn")?.summary).toMatchObject({
        framework: "onnx",
        latest: { step: 1, summary: { parity: { checked: true, maxAbsDiff: parity.maxAbsDiff } } },
      });
    } finally {
      x.dispose();
      model.dispose();
      await run.end();
    }
  });
});

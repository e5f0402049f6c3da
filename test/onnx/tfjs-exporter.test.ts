import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTfjsToOnnx, inspectOnnx, OnnxUnsupportedModelError, SUPPORTED_ACTIVATIONS } from "../../src/adapters/onnx.js";
import { openOnnx } from "../../src/adapters/onnx/inspect.js";
import { loadOrt } from "../../src/adapters/onnx/ort.js";
import { checkParity } from "../../src/adapters/onnx/parity.js";
import { InvalidValueError } from "../../src/core/errors.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => tf.disposeVariables());

/** Runs `n` random rows through the exported model and tfjs, returns the largest difference. */
async function maxDiffAgainstTfjs(model: tf.Sequential, n = 16): Promise<number> {
  const bytes = await exportTfjsToOnnx(model);
  const opened = await openOnnx(bytes, true);
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  const x = tf.randomUniform([n, ...inputShape], -3, 3, "float32", 17);
  try {
    const result = await checkParity(loadOrt(), opened.session!, opened.signature, {
      sampleInputs: { input: x },
      reference: model,
      tolerance: 1e-5,
    });
    return result.maxAbsDiff!;
  } finally {
    x.dispose();
    await opened.session!.release();
  }
}

const stacks: Array<[string, () => tf.Sequential]> = [
  ["dense relu → dense softmax", () =>
    tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [5], activation: "relu" }), tf.layers.dense({ units: 3, activation: "softmax" })] })],
  ["dense without bias → sigmoid activation layer", () =>
    tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [6], useBias: false }), tf.layers.activation({ activation: "sigmoid" })] })],
  ["inputLayer → flatten → dense tanh → dropout → dense linear", () =>
    tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [3, 4] }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: "tanh" }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 2 }),
      ],
    })],
  ["channelsFirst flatten of a rank-4 input", () =>
    tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 3, 2], dataFormat: "channelsFirst" }), tf.layers.dense({ units: 3, activation: "relu" })] })],
  ["dense applied to a rank-3 input (last axis)", () =>
    tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4, 5], activation: "elu" }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: "softmax" })] })],
  ["a model ending in dropout", () =>
    tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2], activation: "relu" }), tf.layers.dropout({ rate: 0.1 })] })],
];

describe("exportTfjsToOnnx", () => {
  it.each(stacks)("%s: onnxruntime matches tfjs predict within 1e-5", async (_name, build) => {
    const model = build();
    expect(await maxDiffAgainstTfjs(model)).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it.each(SUPPORTED_ACTIVATIONS)("activation %s matches tfjs within 1e-5", async (activation) => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 6, inputShape: [4], activation: activation as "relu" }),
        tf.layers.activation({ activation: activation as "relu" }),
      ],
    });
    expect(await maxDiffAgainstTfjs(model)).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it("writes opset 13, float32, a symbolic batch dim and the options' metadata", async () => {
    const model = tf.sequential({ name: "clf", layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    const sig = await inspectOnnx(
      await exportTfjsToOnnx(model, { inputName: "x", outputName: "y", batchDim: "batch", producerVersion: "0.1.0", metadataProps: { run: "abc" } }),
    );
    expect(sig).toMatchObject({
      irVersion: 7,
      opsets: [{ domain: "", version: 13 }],
      producer: { name: "runtrail", version: "0.1.0" },
      graphName: "clf",
      inputs: [{ name: "x", type: "float32", shape: ["batch", 3] }],
      outputs: [{ name: "y", type: "float32", shape: ["batch", 2] }],
      metadataProps: { source_framework: "tfjs", source_model: "clf", run: "abc" },
    });
    model.dispose();
  });

  it("lists every unsupported layer class and activation in one error", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv1d({ filters: 2, kernelSize: 2, inputShape: [6, 1] }),
        tf.layers.batchNormalization(),
        tf.layers.flatten(),
        tf.layers.dense({ units: 4, activation: "relu" }),
        tf.layers.reshape({ targetShape: [2, 2] }),
        tf.layers.conv1d({ filters: 1, kernelSize: 1 }),
      ],
    });
    const err = await exportTfjsToOnnx(model).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxUnsupportedModelError);
    expect(err).toMatchObject({ code: "RUNTRAIL_ONNX_UNSUPPORTED", value: ["Conv1D", "BatchNormalization", "Reshape"] });
    expect((err as Error).message).toMatch(/Conv1D, BatchNormalization, Reshape/);
    model.dispose();
  });

  it("reports an activation it cannot translate", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] });
    const fake = { ...model, name: model.name, layers: model.layers.map((l) => Object.assign(Object.create(l), { getConfig: () => ({ ...l.getConfig(), activation: "cube" }) })), getClassName: () => "Sequential", getConfig: () => model.getConfig(), inputs: model.inputs, outputs: model.outputs };
    await expect(exportTfjsToOnnx(fake)).rejects.toThrow(/activations cube/);
    model.dispose();
  });

  it("refuses functional models and things that are not models", async () => {
    const input = tf.input({ shape: [2] });
    const functional = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor });
    await expect(exportTfjsToOnnx(functional)).rejects.toBeInstanceOf(OnnxUnsupportedModelError);
    await expect(exportTfjsToOnnx({ layers: "nope" })).rejects.toBeInstanceOf(InvalidValueError);
    functional.dispose();
  });
});

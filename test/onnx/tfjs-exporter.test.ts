import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exportTfjsToOnnx, inspectOnnx, OnnxUnsupportedModelError, SUPPORTED_ACTIVATIONS, type UnsupportedLayer } from "../../src/adapters/onnx.js";
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

  it("lists every unsupported layer by class and name, nested models included, before any work", async () => {
    const inner = tf.sequential({
      name: "inner",
      layers: [tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 6, maskZero: true, name: "masked_embedding" }), tf.layers.lstm({ units: 3, name: "lstm_ok" })],
    });
    const x = tf.input({ shape: [6] });
    const volume = tf.input({ shape: [4, 4, 4, 1] });
    const y = inner.apply(x) as tf.SymbolicTensor;
    const v = tf.layers.flatten().apply(tf.layers.conv3d({ filters: 1, kernelSize: 2, name: "vol_conv" }).apply(volume) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const seqIn = tf.input({ shape: [5, 2] });
    const causal = tf.layers.conv1d({ filters: 2, kernelSize: 2, padding: "causal", name: "causal_conv" }).apply(seqIn) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling1d().apply(tf.layers.masking({ name: "mask" }).apply(causal) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [x, volume, seqIn], outputs: [y, v, pooled] });
    const getWeights = vi.fn();
    for (const layer of model.layers) layer.getWeights = getWeights as never;

    const err = await exportTfjsToOnnx(model).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxUnsupportedModelError);
    expect((err as OnnxUnsupportedModelError).code).toBe("RUNTRAIL_ONNX_UNSUPPORTED");
    const expected: UnsupportedLayer[] = [
      { className: "Embedding", name: "masked_embedding", reason: "maskZero (masks are not exported)" },
      { className: "Conv3D", name: "vol_conv", reason: "layer class" },
      { className: "Conv1D", name: "causal_conv", reason: "padding causal (not implemented by tfjs)" },
      { className: "Masking", name: "mask", reason: "layer class" },
    ];
    const value = (err as OnnxUnsupportedModelError).value as UnsupportedLayer[];
    expect(value).toHaveLength(4);
    expect(value).toEqual(expect.arrayContaining(expected));
    const message = (err as Error).message;
    expect(message).toMatch(/^exportTfjsToOnnx: 4 layer\(s\) cannot be exported to ONNX: /);
    for (const p of expected) expect(message).toContain(`${p.className} "${p.name}" (${p.reason})`);
    expect(message).toMatch(/Supported layers: .*Bidirectional.*Conv2D/);
    expect(getWeights).not.toHaveBeenCalled();
    model.dispose();
  });

  it("names a stateful recurrent layer, an unsupported recurrent activation and options tfjs itself mis-runs", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 2, batchInputShape: [1, 3, 2], stateful: true, returnSequences: true, name: "stateful_lstm" }),
        tf.layers.gru({ units: 2, activation: "selu", name: "selu_gru", returnSequences: true }),
        tf.layers.conv1d({ filters: 2, kernelSize: 1, dataFormat: "channelsFirst", name: "cf_conv1d" }),
        tf.layers.flatten(),
        tf.layers.reshape({ targetShape: [2, 2, 1] }),
        tf.layers.separableConv2d({ filters: 1, kernelSize: 1, dataFormat: "channelsFirst", name: "cf_separable" }),
        tf.layers.depthwiseConv2d({ kernelSize: 1, dilationRate: 2, name: "dilated_depthwise" }),
      ],
    });
    await expect(exportTfjsToOnnx(model)).rejects.toMatchObject({
      value: [
        { className: "LSTM", name: "stateful_lstm", reason: "stateful (state kept between predict calls)" },
        { className: "GRU", name: "selu_gru", reason: expect.stringMatching(/^activation selu \(recurrent activations: tanh, sigmoid, hardSigmoid/) },
        { className: "Conv1D", name: "cf_conv1d", reason: "dataFormat channelsFirst (tfjs returns channels-last data for it)" },
        { className: "SeparableConv2D", name: "cf_separable", reason: "dataFormat channelsFirst (tfjs cannot run it)" },
        { className: "DepthwiseConv2D", name: "dilated_depthwise", reason: "dilationRate [2,2] (ignored by tfjs's DepthwiseConv2D)" },
      ],
    });
    model.dispose();
  });

  it("reports an activation it cannot translate", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] });
    const fake = { ...model, name: model.name, layers: model.layers.map((l) => Object.assign(Object.create(l), { getConfig: () => ({ ...l.getConfig(), activation: "cube" }) })), getClassName: () => "Sequential", getConfig: () => model.getConfig(), inputs: model.inputs, outputs: model.outputs };
    await expect(exportTfjsToOnnx(fake)).rejects.toThrow(/Dense "[^"]+" \(activation cube\)/);
    model.dispose();
  });

  it("refuses things that are not models", async () => {
    await expect(exportTfjsToOnnx({ layers: "nope" })).rejects.toBeInstanceOf(InvalidValueError);
    await expect(exportTfjsToOnnx(null)).rejects.toBeInstanceOf(InvalidValueError);
  });

  it("asks for inputNames when a several-input model gets inputName, and refuses clashing names", async () => {
    const a = tf.input({ shape: [2] });
    const b = tf.input({ shape: [2] });
    const model = tf.model({ inputs: [a, b], outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    await expect(exportTfjsToOnnx(model, { inputName: "x" })).rejects.toThrow(/has 2 inputs; give inputNames/);
    await expect(exportTfjsToOnnx(model, { inputNames: ["x", "x"] })).rejects.toThrow(/2 distinct non-empty strings/);
    await expect(exportTfjsToOnnx(model, { inputNames: ["x", "y"], outputName: "x" })).rejects.toThrow(/names both an input and an output/);
    const sig = await inspectOnnx(await exportTfjsToOnnx(model, { inputNames: ["x", "y"], outputName: "sum" }), { load: false });
    expect(sig.inputs.map((i) => i.name)).toEqual(["x", "y"]);
    expect(sig.outputs.map((o) => o.name)).toEqual(["sum"]);
    model.dispose();
  });

});

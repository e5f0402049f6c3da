import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportParity, PARITY_TOLERANCE, randomizeWeights, tf, useBackend } from "./parity-helper.js";

type Layer = tf.layers.Layer;

function seq(inputShape: number[], layers: () => Layer[]): () => tf.LayersModel {
  return () => tf.sequential({ layers: [tf.layers.inputLayer({ inputShape }), ...layers()] });
}

/** A functional model with every output of a `returnState` layer. */
function withStates(make: () => Layer): () => tf.LayersModel {
  return () => {
    const x = tf.input({ shape: [5, 3] });
    const outputs = make().apply(x) as tf.SymbolicTensor[];
    return tf.model({ inputs: x, outputs });
  };
}

const cases: Array<[string, () => tf.LayersModel, Array<number | undefined>?]> = [
  ["SimpleRNN last output", seq([6, 3], () => [tf.layers.simpleRNN({ units: 4 })])],
  ["SimpleRNN returnSequences, goBackwards, relu", seq([6, 3], () => [tf.layers.simpleRNN({ units: 4, returnSequences: true, goBackwards: true, activation: "relu" })])],
  ["LSTM last output (hardSigmoid gates)", seq([7, 3], () => [tf.layers.lstm({ units: 5 })])],
  ["LSTM returnSequences, sigmoid gates, no bias", seq([7, 3], () => [tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: "sigmoid", useBias: false })])],
  ["LSTM goBackwards, returnSequences", seq([6, 2], () => [tf.layers.lstm({ units: 3, goBackwards: true, returnSequences: true })])],
  ["LSTM returnState (output, h, c)", withStates(() => tf.layers.lstm({ units: 4, returnState: true }))],
  ["GRU last output", seq([6, 3], () => [tf.layers.gru({ units: 4 })])],
  ["GRU returnSequences, goBackwards, sigmoid/softsign", seq([6, 3], () => [tf.layers.gru({ units: 4, returnSequences: true, goBackwards: true, recurrentActivation: "sigmoid", activation: "softsign" })])],
  ["GRU returnState", withStates(() => tf.layers.gru({ units: 3, returnState: true, returnSequences: true }))],
  ["Bidirectional GRU mergeMode null (two outputs)", () => {
    const x = tf.input({ shape: [5, 3] });
    const outputs = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true }) as tf.RNN, mergeMode: null as never }).apply(x) as tf.SymbolicTensor[];
    return tf.model({ inputs: x, outputs });
  }],
  ["LSTM over a variable-length sequence (time dim unknown)", seq([null as unknown as number, 3], () => [tf.layers.lstm({ units: 4, returnSequences: true }), tf.layers.globalAveragePooling1d()])],
  ["stacked LSTM → GRU", seq([6, 3], () => [tf.layers.lstm({ units: 4, returnSequences: true }), tf.layers.gru({ units: 3 })])],
  ["Bidirectional LSTM concat", seq([6, 3], () => [tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4 }) as tf.RNN })])],
  ["Bidirectional GRU returnSequences sum", seq([6, 3], () => [tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true }) as tf.RNN, mergeMode: "sum" })])],
  ["Bidirectional SimpleRNN returnSequences ave", seq([5, 2], () => [tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3, returnSequences: true }) as tf.RNN, mergeMode: "ave" })])],
  ["Bidirectional LSTM returnSequences mul", seq([5, 2], () => [tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) as tf.RNN, mergeMode: "mul" })])],
  ["TimeDistributed(Dense softmax) after LSTM sequences", seq([6, 3], () => [tf.layers.lstm({ units: 4, returnSequences: true }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: "softmax" }) })])],
  ["TimeDistributed(Conv2D) over frames", seq([4, 6, 6, 2], () => [tf.layers.timeDistributed({ layer: tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: "same" }) })])],
  ["TimeDistributed(Dense) over a variable-length sequence", seq([null as unknown as number, 5], () => [tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: "tanh" }) })])],
  ["Embedding (float ids)", seq([7], () => [tf.layers.embedding({ inputDim: 20, outputDim: 4 })]), [20]],
  ["Conv1D → GlobalMaxPooling1D over embeddings", seq([9], () => [tf.layers.embedding({ inputDim: 30, outputDim: 6 }), tf.layers.conv1d({ filters: 4, kernelSize: 3, activation: "relu" }), tf.layers.globalMaxPooling1d()]), [30]],
  ["Rescaling 1/255, offset -0.5", seq([4, 4, 3], () => [tf.layers.rescaling({ scale: 1 / 255, offset: -0.5 })])],
  ["ReLU, maxValue 1.5", seq([6], () => [tf.layers.reLU({ maxValue: 1.5 })])],
  ["LeakyReLU alpha 0.1", seq([6], () => [tf.layers.leakyReLU({ alpha: 0.1 })])],
  ["PReLU", seq([3, 4], () => [tf.layers.prelu({})])],
  ["PReLU shared axis 1", seq([3, 4], () => [tf.layers.prelu({ sharedAxes: [1] })])],
  ["ELU (tfjs allows only alpha 1)", seq([6], () => [tf.layers.elu({})])],
  ["ThresholdedReLU theta 0.7", seq([6], () => [tf.layers.thresholdedReLU({ theta: 0.7 })])],
  ["Softmax (default axis 1 of rank 2)", seq([5], () => [tf.layers.softmax({})])],
  ["Softmax axis -1 of rank 3", seq([3, 5], () => [tf.layers.softmax({ axis: -1 })])],
  ["noise and dropout layers are identities at inference", seq([4, 6], () => [
    tf.layers.gaussianNoise({ stddev: 0.5 }),
    tf.layers.gaussianDropout({ rate: 0.3 }),
    tf.layers.alphaDropout({ rate: 0.3 }),
    tf.layers.spatialDropout1d({ rate: 0.3 }),
    tf.layers.dropout({ rate: 0.5 }),
  ])],
];

describe.each(["cpu", "wasm"] as const)("recurrent, embedding, activation and noise layers (tfjs %s backend)", (backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => tf.disposeVariables());

  it.each(cases)("%s matches tfjs predict within 1e-4", async (name, build, ints) => {
    const model = build();
    randomizeWeights(model);
    const { maxAbsDiff } = await exportParity(name, model, { ...(ints && { ints }) });
    expect(maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
    model.dispose();
  });
});

describe("int32 inputs", () => {
  it("an int32 input stays int32 in the ONNX signature and feeds Embedding", async () => {
    await useBackend("cpu");
    const ids = tf.input({ shape: [5], dtype: "int32" });
    const y = tf.layers.globalAveragePooling1d().apply(tf.layers.embedding({ inputDim: 12, outputDim: 3 }).apply(ids) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: ids, outputs: y });
    randomizeWeights(model);
    const { maxAbsDiff } = await exportParity("Embedding (int32 ids)", model, { ints: [12] });
    expect(maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
    model.dispose();
  });
});

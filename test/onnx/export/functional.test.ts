import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportParity, PARITY_TOLERANCE, randomizeWeights, tf, useBackend } from "./parity-helper.js";
import { inspectOnnx } from "../../../src/adapters/onnx.js";

type Build = () => tf.LayersModel;

function twoInputs(merge: (xs: tf.SymbolicTensor[]) => tf.SymbolicTensor, shape = [4]): tf.LayersModel {
  const a = tf.input({ shape, name: "a" });
  const b = tf.input({ shape, name: "b" });
  const y = merge([tf.layers.dense({ units: 4 }).apply(a) as tf.SymbolicTensor, b]);
  return tf.model({ inputs: [a, b], outputs: y });
}

const merges: Array<[string, Build]> = [
  ["Concatenate (last axis)", () => twoInputs((xs) => tf.layers.concatenate().apply(xs) as tf.SymbolicTensor)],
  ["Concatenate (axis 1 of rank 3)", () => twoInputs((xs) => tf.layers.concatenate({ axis: 1 }).apply(xs) as tf.SymbolicTensor, [3, 4])],
  ["Add", () => twoInputs((xs) => tf.layers.add().apply(xs) as tf.SymbolicTensor)],
  ["Multiply", () => twoInputs((xs) => tf.layers.multiply().apply(xs) as tf.SymbolicTensor)],
  ["Average", () => twoInputs((xs) => tf.layers.average().apply(xs) as tf.SymbolicTensor)],
  ["Maximum", () => twoInputs((xs) => tf.layers.maximum().apply(xs) as tf.SymbolicTensor)],
  ["Minimum", () => twoInputs((xs) => tf.layers.minimum().apply(xs) as tf.SymbolicTensor)],
  ["Dot (rank 2)", () => twoInputs((xs) => tf.layers.dot({ axes: 1 }).apply(xs) as tf.SymbolicTensor)],
  ["Dot (rank 2, normalize)", () => twoInputs((xs) => tf.layers.dot({ axes: 1, normalize: true }).apply(xs) as tf.SymbolicTensor)],
  ["Dot (rank 3, axes [2, 2])", () => twoInputs((xs) => tf.layers.dot({ axes: [2, 2] }).apply(xs) as tf.SymbolicTensor, [3, 4])],
  ["Dot (rank 3, axes [1, 1])", () => twoInputs((xs) => tf.layers.dot({ axes: [1, 1] }).apply(xs) as tf.SymbolicTensor, [3, 4])],
  ["Dot (rank 3, axes [2, 1])", () => {
    const a = tf.input({ shape: [3, 4] });
    const b = tf.input({ shape: [4, 5] });
    return tf.model({ inputs: [a, b], outputs: tf.layers.dot({ axes: [2, 1] }).apply([a, b]) as tf.SymbolicTensor });
  }],
  ["three-way Add and Multiply", () => {
    const xs = [0, 1, 2].map(() => tf.input({ shape: [3] }));
    const sum = tf.layers.add().apply(xs) as tf.SymbolicTensor;
    const product = tf.layers.multiply().apply(xs) as tf.SymbolicTensor;
    return tf.model({ inputs: xs, outputs: tf.layers.concatenate().apply([sum, product]) as tf.SymbolicTensor });
  }],
];

const graphs: Array<[string, Build]> = [
  ["two-input two-output functional model", () => {
    const image = tf.input({ shape: [6], name: "features" });
    const meta = tf.input({ shape: [3], name: "meta" });
    const h = tf.layers.dense({ units: 8, activation: "relu" }).apply(image) as tf.SymbolicTensor;
    const m = tf.layers.dense({ units: 8, activation: "tanh" }).apply(meta) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate().apply([h, m]) as tf.SymbolicTensor;
    const cls = tf.layers.dense({ units: 3, activation: "softmax", name: "cls" }).apply(joined) as tf.SymbolicTensor;
    const reg = tf.layers.dense({ units: 1, name: "reg" }).apply(tf.layers.add().apply([h, m]) as tf.SymbolicTensor) as tf.SymbolicTensor;
    return tf.model({ inputs: [image, meta], outputs: [cls, reg] });
  }],
  ["a shared layer applied to two inputs (siamese)", () => {
    const a = tf.input({ shape: [5] });
    const b = tf.input({ shape: [5] });
    const shared = tf.layers.dense({ units: 4, activation: "sigmoid" });
    const ea = shared.apply(a) as tf.SymbolicTensor;
    const eb = shared.apply(b) as tf.SymbolicTensor;
    return tf.model({ inputs: [a, b], outputs: tf.layers.multiply().apply([ea, eb]) as tf.SymbolicTensor });
  }],
  ["a nested Sequential called twice inside a functional model", () => {
    const tower = tf.sequential({ layers: [tf.layers.dense({ units: 6, inputShape: [4], activation: "relu" }), tf.layers.dense({ units: 2 })] });
    const a = tf.input({ shape: [4] });
    const b = tf.input({ shape: [4] });
    const ya = tower.apply(a) as tf.SymbolicTensor;
    const yb = tower.apply(b) as tf.SymbolicTensor;
    return tf.model({ inputs: [a, b], outputs: [ya, yb, tf.layers.maximum().apply([ya, yb]) as tf.SymbolicTensor] });
  }],
  ["a functional model nested in a Sequential", () => {
    const x = tf.input({ shape: [3] });
    const inner = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 5, activation: "elu" }).apply(x) as tf.SymbolicTensor });
    return tf.sequential({ layers: [inner, tf.layers.dense({ units: 2, activation: "softmax" })] });
  }],
  ["an output that is also read by another layer, and an input that is an output", () => {
    const x = tf.input({ shape: [4] });
    const h = tf.layers.dense({ units: 4 }).apply(x) as tf.SymbolicTensor;
    const y = tf.layers.dense({ units: 2 }).apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: x, outputs: [h, y, x] });
  }],
];

describe.each(["cpu", "wasm"] as const)("functional graphs and merge layers (tfjs %s backend)", (backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => tf.disposeVariables());

  it.each([...merges, ...graphs])("%s matches tfjs predict within 1e-4", async (name, build) => {
    const model = build();
    randomizeWeights(model);
    const { maxAbsDiff } = await exportParity(name, model);
    expect(maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
    model.dispose();
  });
});

describe("functional model signature", () => {
  it("names inputs and outputs after tfjs's layers, each with a symbolic batch dim", async () => {
    await useBackend("cpu");
    const [, build] = graphs[0]!;
    const model = build();
    const { bytes } = await exportParity("signature", model);
    const sig = await inspectOnnx(bytes, { load: false });
    expect(sig.inputs).toEqual([
      { name: "features", type: "float32", shape: ["N", 6] },
      { name: "meta", type: "float32", shape: ["N", 3] },
    ]);
    expect(sig.outputs).toEqual([
      { name: "cls", type: "float32", shape: ["N", 3] },
      { name: "reg", type: "float32", shape: ["N", 1] },
    ]);
    model.dispose();
  });
});

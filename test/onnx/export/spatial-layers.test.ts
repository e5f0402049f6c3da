import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportParity, PARITY_TOLERANCE, randomizeWeights, tf, useBackend } from "./parity-helper.js";

type Layer = tf.layers.Layer;

/** A Sequential model: the layers under test (made fresh for each backend) after an input of the given shape. */
function seq(inputShape: number[], layers: () => Layer[]): () => tf.LayersModel {
  return () => tf.sequential({ layers: [tf.layers.inputLayer({ inputShape }), ...layers()] });
}

const cases: Array<[string, () => tf.LayersModel]> = [
  // Convolutions
  ["Conv2D valid, stride 1", seq([6, 7, 3], () => [tf.layers.conv2d({ filters: 4, kernelSize: 3 })])],
  ["Conv2D same, stride 2, odd size, relu", seq([7, 9, 2], () => [tf.layers.conv2d({ filters: 3, kernelSize: [3, 2], strides: 2, padding: "same", activation: "relu" })])],
  ["Conv2D same, dilation 2, no bias", seq([8, 8, 2], () => [tf.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: "same", useBias: false })])],
  ["Conv2D strides [1, 2] valid, tanh", seq([6, 9, 2], () => [tf.layers.conv2d({ filters: 2, kernelSize: [2, 3], strides: [1, 2], activation: "tanh" })])],
  ["Conv2D channelsFirst same", seq([2, 6, 5], () => [tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same", dataFormat: "channelsFirst" })])],
  ["Conv1D valid", seq([10, 3], () => [tf.layers.conv1d({ filters: 4, kernelSize: 3 })])],
  ["Conv1D same, stride 2", seq([9, 2], () => [tf.layers.conv1d({ filters: 3, kernelSize: 4, strides: 2, padding: "same" })])],
  ["Conv1D same, dilation 2, sigmoid", seq([10, 2], () => [tf.layers.conv1d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: "same", activation: "sigmoid" })])],
  ["Conv2DTranspose valid, stride 2, kernel 3", seq([4, 5, 3], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2 })])],
  ["Conv2DTranspose same, stride 2, kernel 3", seq([4, 5, 3], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: "same" })])],
  ["Conv2DTranspose same, stride 2, kernel 4", seq([3, 4, 2], () => [tf.layers.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: "same" })])],
  ["Conv2DTranspose valid, stride 3, kernel 2 (kernel < stride)", seq([3, 3, 2], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3 })])],
  ["Conv2DTranspose same, stride 3, kernel 2", seq([3, 4, 2], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: "same", activation: "relu" })])],
  ["DepthwiseConv2D same, stride 2, multiplier 2", seq([7, 6, 3], () => [tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "same", depthMultiplier: 2 })])],
  ["DepthwiseConv2D valid, kernel [2, 3], relu6", seq([9, 9, 2], () => [tf.layers.depthwiseConv2d({ kernelSize: [2, 3], activation: "relu6" })])],
  ["SeparableConv2D same, dilation 2", seq([8, 8, 2], () => [tf.layers.separableConv2d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: "same" })])],
  ["SeparableConv2D same", seq([6, 6, 3], () => [tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: "same" })])],
  ["SeparableConv2D valid, stride 2, multiplier 2, no bias", seq([7, 7, 2], () => [tf.layers.separableConv2d({ filters: 3, kernelSize: 3, strides: 2, depthMultiplier: 2, useBias: false })])],
  ["Conv2DTranspose channelsFirst same", seq([2, 3, 4], () => [tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: "same", dataFormat: "channelsFirst" })])],
  ["DepthwiseConv2D channelsFirst", seq([2, 5, 5], () => [tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, dataFormat: "channelsFirst" })])],
  // Pooling
  ["AveragePooling2D channelsFirst same", seq([2, 5, 5], () => [tf.layers.averagePooling2d({ poolSize: 2, padding: "same", dataFormat: "channelsFirst" })])],
  ["MaxPooling1D channelsFirst", seq([2, 8], () => [tf.layers.maxPooling1d({ poolSize: 2, dataFormat: "channelsFirst" } as never)])],
  ["MaxPooling2D valid", seq([6, 6, 2], () => [tf.layers.maxPooling2d({ poolSize: 2 })])],
  ["MaxPooling2D same, stride 2, odd size", seq([7, 5, 2], () => [tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" })])],
  ["MaxPooling2D channelsFirst", seq([2, 6, 6], () => [tf.layers.maxPooling2d({ poolSize: 2, dataFormat: "channelsFirst" })])],
  ["AveragePooling2D same (borders average only the cells inside)", seq([5, 7, 2], () => [tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: "same" })])],
  ["AveragePooling2D valid, pool [2, 3]", seq([6, 6, 1], () => [tf.layers.averagePooling2d({ poolSize: [2, 3] })])],
  ["MaxPooling1D same", seq([9, 3], () => [tf.layers.maxPooling1d({ poolSize: 2, padding: "same" })])],
  ["AveragePooling1D valid, stride 1", seq([8, 2], () => [tf.layers.averagePooling1d({ poolSize: 3, strides: 1 })])],
  ["GlobalMaxPooling1D", seq([7, 3], () => [tf.layers.globalMaxPooling1d()])],
  ["GlobalAveragePooling1D", seq([7, 3], () => [tf.layers.globalAveragePooling1d()])],
  ["GlobalMaxPooling2D", seq([5, 4, 3], () => [tf.layers.globalMaxPooling2d({})])],
  ["GlobalAveragePooling2D", seq([5, 4, 3], () => [tf.layers.globalAveragePooling2d({})])],
  ["GlobalAveragePooling2D channelsFirst", seq([3, 5, 4], () => [tf.layers.globalAveragePooling2d({ dataFormat: "channelsFirst" })])],
  // Normalization
  ["BatchNormalization after Conv2D", seq([5, 5, 2], () => [tf.layers.conv2d({ filters: 3, kernelSize: 3 }), tf.layers.batchNormalization()])],
  ["BatchNormalization on features, no center", seq([6], () => [tf.layers.batchNormalization({ center: false })])],
  ["LayerNormalization last axis of rank 3", seq([4, 6], () => [tf.layers.layerNormalization()])],
  ["LayerNormalization axes [1, 2], no center", seq([3, 4, 2], () => [tf.layers.layerNormalization({ axis: [1, 2], center: false })])],
  ["LayerNormalization no scale, epsilon 1e-5", seq([5], () => [tf.layers.layerNormalization({ scale: false, epsilon: 1e-5 })])],
  // Padding, cropping, upsampling
  ["ZeroPadding2D [[1, 2], [0, 3]]", seq([3, 4, 2], () => [tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]] })])],
  ["ZeroPadding2D 1 channelsFirst", seq([2, 3, 3], () => [tf.layers.zeroPadding2d({ padding: 1, dataFormat: "channelsFirst" })])],
  ["Cropping2D [[1, 0], [2, 1]]", seq([5, 6, 2], () => [tf.layers.cropping2D({ cropping: [[1, 0], [2, 1]] })])],
  ["UpSampling2D nearest [2, 3]", seq([3, 4, 2], () => [tf.layers.upSampling2d({ size: [2, 3] })])],
  ["UpSampling2D nearest channelsFirst", seq([2, 3, 4], () => [tf.layers.upSampling2d({ size: [2, 2], dataFormat: "channelsFirst" })])],
  ["Cropping2D channelsFirst", seq([2, 5, 6], () => [tf.layers.cropping2D({ cropping: [[1, 1], [0, 2]], dataFormat: "channelsFirst" })])],
  ["UpSampling2D bilinear 2", seq([3, 4, 2], () => [tf.layers.upSampling2d({ size: [2, 2], interpolation: "bilinear" })])],
  // Reshaping
  ["Reshape [4, -1]", seq([2, 6], () => [tf.layers.reshape({ targetShape: [4, -1] })])],
  ["Permute [2, 3, 1]", seq([2, 3, 4], () => [tf.layers.permute({ dims: [2, 3, 1] })])],
  ["RepeatVector 3", seq([5], () => [tf.layers.repeatVector({ n: 3 })])],
  ["Flatten of a rank-4 input", seq([3, 2, 4], () => [tf.layers.flatten()])],
];

describe.each(["cpu", "wasm"] as const)("convolution, pooling, normalization and reshaping layers (tfjs %s backend)", (backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => tf.disposeVariables());

  it.each(cases)("%s matches tfjs predict within 1e-4", async (name, build) => {
    const model = build();
    randomizeWeights(model);
    const { maxAbsDiff } = await exportParity(name, model);
    expect(maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
    model.dispose();
  });

  // tfjs's own BatchNorm kernels pair the statistics with the LAST axis whatever `axis` says
  // (cpu: [[1,2,3]] means over axis 1 come out cycling along the last axis), so for axis 1
  // the exported model is checked against the layer's definition written with tfjs ops.
  it("BatchNormalization on axis 1 matches (x − mean) / √(var + ε) · γ + β on that axis", async () => {
    const model = seq([3, 4, 5], () => [tf.layers.batchNormalization({ axis: 1, epsilon: 0.01 })])();
    randomizeWeights(model);
    const [gamma, beta, mean, variance] = model.layers.at(-1)!.getWeights().map((w) => w.reshape([1, 3, 1, 1]));
    const definition = {
      predict: (x: tf.Tensor) => tf.tidy(() => x.sub(mean!).div(variance!.add(0.01).sqrt()).mul(gamma!).add(beta!)),
    } as unknown as tf.LayersModel;
    const { maxAbsDiff } = await exportParity("BatchNormalization axis 1 (definition)", model, { reference: definition });
    expect(maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
    model.dispose();
  });
});

import type { LayerTranslator } from "../graph.js";
import { positiveAxis } from "../graph.js";

/** ReLU layer: `min(max(x, 0), maxValue)` (tfjs's ReLU has no threshold or negative slope). */
const relu: LayerTranslator = {
  translate(g, { config, inputs, base }) {
    const y = g.op("Relu", [inputs[0]!.name], `${base}/relu`);
    const max = config.maxValue;
    return [typeof max === "number" ? g.op("Min", [y, g.scalar(`${base}/max_value`, max)], `${base}/clip`) : y];
  },
};

const leakyRelu: LayerTranslator = {
  translate: (g, { config, inputs, base }) => [g.op("LeakyRelu", [inputs[0]!.name], `${base}/leaky_relu`, [{ name: "alpha", type: "float", value: Number(config.alpha ?? 0.3) }])],
};

/** PReLU: the learned slope has the input's shape without the batch dim (shared axes are size 1), which broadcasts. */
const prelu: LayerTranslator = {
  async translate(g, { layer, inputs, base }) {
    const alpha = (await g.weights(layer))[0]!;
    return [g.op("PRelu", [inputs[0]!.name, g.layerConstant(layer, "alpha", () => ({ dims: alpha.shape, data: alpha.data }))], `${base}/prelu`)];
  },
};

const elu: LayerTranslator = {
  translate: (g, { config, inputs, base }) => [g.op("Elu", [inputs[0]!.name], `${base}/elu`, [{ name: "alpha", type: "float", value: Number(config.alpha ?? 1) }])],
};

const thresholdedRelu: LayerTranslator = {
  translate: (g, { config, inputs, base }) => [g.op("ThresholdedRelu", [inputs[0]!.name], `${base}/thresholded_relu`, [{ name: "alpha", type: "float", value: Number(config.theta ?? 1) }])],
};

const softmax: LayerTranslator = {
  translate(g, { config, inputs, base }) {
    const axis = positiveAxis(Number([config.axis ?? -1].flat()[0]), inputs[0]!.shape.length);
    return [g.op("Softmax", [inputs[0]!.name], `${base}/softmax`, [{ name: "axis", type: "int", value: axis }])];
  },
};

/** ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax. */
export const ACTIVATION_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  ReLU: relu,
  LeakyReLU: leakyRelu,
  PReLU: prelu,
  ELU: elu,
  ThresholdedReLU: thresholdedRelu,
  Softmax: softmax,
};

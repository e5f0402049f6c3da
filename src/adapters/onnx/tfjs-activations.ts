import type { GraphBuilder } from "./graph-builder.js";

/** Emits the ONNX nodes of one activation and returns the output value name. */
type Emit = (g: GraphBuilder, x: string, base: string) => string;

// tfjs-core `selu_util`: SELU_SCALEALPHA / SELU_SCALE and SELU_SCALE.
const SELU_SCALEALPHA = 1.7580993408473768;
const SELU_SCALE = 1.0507009873554805;

/**
 * tfjs activation names (as `getConfig().activation` reports them) and their ONNX opset-13
 * translation. tfjs applies softmax/logSoftmax on the last axis.
 */
const ACTIVATIONS: Readonly<Record<string, Emit>> = {
  linear: (_g, x) => x,
  relu: (g, x, b) => g.op("Relu", [x], `${b}/relu`),
  relu6: (g, x, b) => g.op("Clip", [x, g.scalar(`${b}/zero`, 0), g.scalar(`${b}/six`, 6)], `${b}/relu6`),
  sigmoid: (g, x, b) => g.op("Sigmoid", [x], `${b}/sigmoid`),
  // tfjs hardSigmoid is clip(0.2x + 0.5, 0, 1): ONNX HardSigmoid's defaults, written out.
  hardSigmoid: (g, x, b) =>
    g.op("HardSigmoid", [x], `${b}/hard_sigmoid`, [
      { name: "alpha", type: "float", value: 0.2 },
      { name: "beta", type: "float", value: 0.5 },
    ]),
  tanh: (g, x, b) => g.op("Tanh", [x], `${b}/tanh`),
  softmax: (g, x, b) => g.op("Softmax", [x], `${b}/softmax`, [{ name: "axis", type: "int", value: -1 }]),
  logSoftmax: (g, x, b) => g.op("LogSoftmax", [x], `${b}/log_softmax`, [{ name: "axis", type: "int", value: -1 }]),
  softplus: (g, x, b) => g.op("Softplus", [x], `${b}/softplus`),
  softsign: (g, x, b) => g.op("Softsign", [x], `${b}/softsign`),
  elu: (g, x, b) => g.op("Elu", [x], `${b}/elu`, [{ name: "alpha", type: "float", value: 1 }]),
  selu: (g, x, b) =>
    g.op("Selu", [x], `${b}/selu`, [
      { name: "alpha", type: "float", value: SELU_SCALEALPHA / SELU_SCALE },
      { name: "gamma", type: "float", value: SELU_SCALE },
    ]),
  swish: (g, x, b) => g.op("Mul", [x, g.op("Sigmoid", [x], `${b}/swish_sigmoid`)], `${b}/swish`),
  mish: (g, x, b) => g.op("Mul", [x, g.op("Tanh", [g.op("Softplus", [x], `${b}/mish_softplus`)], `${b}/mish_tanh`)], `${b}/mish`),
  gelu: (g, x, b) => {
    const erf = g.op("Erf", [g.op("Div", [x, g.scalar(`${b}/sqrt2`, Math.SQRT2)], `${b}/gelu_div`)], `${b}/gelu_erf`);
    const cdf = g.op("Mul", [g.op("Add", [erf, g.scalar(`${b}/one`, 1)], `${b}/gelu_add`), g.scalar(`${b}/half`, 0.5)], `${b}/gelu_cdf`);
    return g.op("Mul", [x, cdf], `${b}/gelu`);
  },
  gelu_new: (g, x, b) => {
    const cube = g.op("Mul", [g.op("Mul", [x, x], `${b}/gelu_sq`), x], `${b}/gelu_cube`);
    const inner = g.op("Add", [x, g.op("Mul", [cube, g.scalar(`${b}/c`, 0.044715)], `${b}/gelu_cx3`)], `${b}/gelu_inner`);
    const scaled = g.op("Mul", [inner, g.scalar(`${b}/sqrt_2_pi`, Math.sqrt(2 / Math.PI))], `${b}/gelu_scaled`);
    const onePlus = g.op("Add", [g.op("Tanh", [scaled], `${b}/gelu_tanh`), g.scalar(`${b}/one`, 1)], `${b}/gelu_1p`);
    return g.op("Mul", [g.op("Mul", [x, g.scalar(`${b}/half`, 0.5)], `${b}/gelu_halfx`), onePlus], `${b}/gelu_new`);
  },
};

/** Names of the activations the exporter translates. */
export const SUPPORTED_ACTIVATIONS: readonly string[] = Object.keys(ACTIVATIONS);

/** The emitter of a tfjs activation name, or `undefined` when it has no translation. */
export function activationEmitter(name: unknown): Emit | undefined {
  return typeof name === "string" && Object.hasOwn(ACTIVATIONS, name) ? ACTIVATIONS[name] : undefined;
}

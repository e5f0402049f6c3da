import type { LayerTranslator, Weight } from "../graph.js";
import { positiveAxis } from "../graph.js";

/** The shape that broadcasts a per-axis vector along `axes` of a rank-`rank` tensor. */
function broadcastShape(rank: number, axes: readonly number[], sizes: readonly number[]): number[] {
  const dims = Array<number>(rank).fill(1);
  axes.forEach((axis, i) => (dims[axis] = sizes[i]!));
  return dims;
}

/**
 * BatchNormalization at inference, folded into one Mul and one Add:
 * `x · γ/√(var + ε) + (β − mean · γ/√(var + ε))`, computed in float64 before rounding.
 */
const batchNormalization: LayerTranslator = {
  async translate(g, { layer, config, inputs, base }) {
    const x = inputs[0]!;
    const rank = x.shape.length;
    const axis = positiveAxis(Number(config.axis ?? -1), rank);
    const weights = await g.weights(layer);
    let next = 0;
    const take = (): Weight => weights[next++]!;
    const gamma = config.scale !== false ? take() : undefined;
    const beta = config.center !== false ? take() : undefined;
    const mean = take();
    const variance = take();
    const eps = Number(config.epsilon ?? 1e-3);
    const channels = mean.data.length;
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const a = (gamma ? gamma.data[c]! : 1) / Math.sqrt(variance.data[c]! + eps);
      scale[c] = a;
      shift[c] = (beta ? beta.data[c]! : 0) - mean.data[c]! * a;
    }
    // Trailing dims only: the leading batch dim broadcasts by itself.
    const dims = broadcastShape(rank, [axis], [channels]).slice(1);
    const A = g.layerConstant(layer, "scale", () => ({ dims, data: scale }));
    const B = g.layerConstant(layer, "shift", () => ({ dims, data: shift }));
    return [g.op("Add", [g.op("Mul", [x.name, A], `${base}/scale`), B], `${base}/shift`)];
  },
};

/**
 * LayerNormalization decomposed for opset 13 (ONNX's LayerNormalization op needs opset 17):
 * `(x − mean) / √(var + ε) · γ + β`, mean and variance over the layer's axes, as tfjs's `moments`.
 */
const layerNormalization: LayerTranslator = {
  async translate(g, { layer, config, inputs, base }) {
    const x = inputs[0]!;
    const rank = x.shape.length;
    const axes = [config.axis ?? -1].flat().map((a) => positiveAxis(Number(a), rank));
    const keep = [{ name: "axes", type: "ints", value: axes } as const, { name: "keepdims", type: "int", value: 1 } as const];
    const mean = g.op("ReduceMean", [x.name], `${base}/mean`, keep);
    const centered = g.op("Sub", [x.name, mean], `${base}/centered`);
    const variance = g.op("ReduceMean", [g.op("Mul", [centered, centered], `${base}/sq`)], `${base}/variance`, keep);
    const std = g.op("Sqrt", [g.op("Add", [variance, g.scalar(`${base}/epsilon`, Number(config.epsilon ?? 1e-3))], `${base}/var_eps`)], `${base}/std`);
    let y = g.op("Div", [centered, std], `${base}/normalized`);
    const weights = await g.weights(layer);
    let next = 0;
    const sizes = axes.map((a) => x.shape[a]!);
    const dims = broadcastShape(rank, axes, sizes as number[]);
    if (config.scale !== false) {
      const gamma = weights[next++]!;
      y = g.op("Mul", [y, g.layerConstant(layer, "gamma", () => ({ dims, data: gamma.data }))], `${base}/gamma`);
    }
    if (config.center !== false) {
      const beta = weights[next++]!;
      y = g.op("Add", [y, g.layerConstant(layer, "beta", () => ({ dims, data: beta.data }))], `${base}/beta`);
    }
    return [y];
  },
};

/** BatchNormalization, LayerNormalization. */
export const NORMALIZATION_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
};

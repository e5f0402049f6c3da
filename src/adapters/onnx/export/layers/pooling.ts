import type { LayerTranslator } from "../graph.js";
import { inChannelsFirst, isChannelsFirst, paddingAttributes, spatialDims, windowOf } from "../layout.js";

/** MaxPooling1D/2D and AveragePooling1D/2D (average over the cells inside the input, as tfjs does at the borders). */
function pool(opType: "MaxPool" | "AveragePool", n: number): LayerTranslator {
  return {
    translate(g, call) {
      const { config, inputs, base } = call;
      const x = inputs[0]!;
      const cf = isChannelsFirst(config);
      const w = windowOf({ config: { ...config, dilationRate: 1 }, base }, n, "poolSize");
      const attrs = [
        { name: "kernel_shape", type: "ints", value: w.kernel } as const,
        { name: "strides", type: "ints", value: w.strides } as const,
        ...paddingAttributes(config.padding, spatialDims(x.shape, cf), w),
      ];
      return inChannelsFirst(g, x.name, n + 2, cf, base, (v) => g.op(opType, [v], `${base}/${opType.toLowerCase()}`, attrs)).then((y) => [y]);
    },
  };
}

/** GlobalMax/AveragePooling1D/2D: a reduction over the spatial axes. */
function globalPool(opType: "ReduceMax" | "ReduceMean", n: number): LayerTranslator {
  return {
    translate(g, { config, inputs, base }) {
      const axes = isChannelsFirst(config) ? Array.from({ length: n }, (_, i) => i + 2) : Array.from({ length: n }, (_, i) => i + 1);
      return [
        g.op(opType, [inputs[0]!.name], `${base}/${opType.toLowerCase()}`, [
          { name: "axes", type: "ints", value: axes },
          { name: "keepdims", type: "int", value: 0 },
        ]),
      ];
    },
  };
}

/** Pooling layers. */
export const POOLING_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  MaxPooling1D: pool("MaxPool", 1),
  MaxPooling2D: pool("MaxPool", 2),
  AveragePooling1D: pool("AveragePool", 1),
  AveragePooling2D: pool("AveragePool", 2),
  GlobalMaxPooling1D: globalPool("ReduceMax", 1),
  GlobalMaxPooling2D: globalPool("ReduceMax", 2),
  GlobalAveragePooling1D: globalPool("ReduceMean", 1),
  GlobalAveragePooling2D: globalPool("ReduceMean", 2),
};

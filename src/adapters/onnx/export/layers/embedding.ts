import type { LayerTranslator } from "../graph.js";

/** Embedding: the ids (float or int32, truncated to integers as tfjs casts them) index the table. */
const embedding: LayerTranslator = {
  check: (_layer, config) => (config.maskZero === true ? "maskZero (masks are not exported)" : undefined),
  async translate(g, { layer, inputs, base }) {
    const table = await g.weight(layer, 0, 2, "embeddings");
    const E = g.layerConstant(layer, "embeddings", () => ({ dims: table.shape, data: table.data }));
    const ids = g.op("Cast", [inputs[0]!.name], `${base}/ids`, [{ name: "to", type: "int", value: 7 }]);
    return [g.op("Gather", [E, ids], `${base}/gather`, [{ name: "axis", type: "int", value: 0 }])];
  },
};

/** Embedding. */
export const EMBEDDING_LAYERS: Readonly<Record<string, LayerTranslator>> = { Embedding: embedding };

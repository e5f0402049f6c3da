import type { LayerTranslator } from "./graph.js";
import { ACTIVATION_LAYERS } from "./layers/activations.js";
import { CONV_LAYERS } from "./layers/conv.js";
import { CORE_LAYERS } from "./layers/core.js";
import { EMBEDDING_LAYERS } from "./layers/embedding.js";
import { MERGE_LAYERS } from "./layers/merge.js";
import { NORMALIZATION_LAYERS } from "./layers/normalization.js";
import { POOLING_LAYERS } from "./layers/pooling.js";
import { RECURRENT_LAYERS } from "./layers/recurrent.js";
import { SPATIAL_LAYERS } from "./layers/spatial.js";
import { WRAPPER_LAYERS } from "./layers/wrappers.js";

/** Every tfjs layer class the exporter translates, by `getClassName()`. */
export const TRANSLATORS: Readonly<Record<string, LayerTranslator>> = {
  ...CORE_LAYERS,
  ...MERGE_LAYERS,
  ...CONV_LAYERS,
  ...POOLING_LAYERS,
  ...NORMALIZATION_LAYERS,
  ...SPATIAL_LAYERS,
  ...EMBEDDING_LAYERS,
  ...RECURRENT_LAYERS,
  ...ACTIVATION_LAYERS,
  ...WRAPPER_LAYERS,
};

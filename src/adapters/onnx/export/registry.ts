import type { LayerTranslator } from "./graph.js";
import { CORE_LAYERS } from "./layers/core.js";
import { MERGE_LAYERS } from "./layers/merge.js";

/** Every tfjs layer class the exporter translates, by `getClassName()`. */
export const TRANSLATORS: Readonly<Record<string, LayerTranslator>> = {
  ...CORE_LAYERS,
  ...MERGE_LAYERS,
};

import { OnnxUnsupportedModelError } from "../errors.js";
import type { TfjsLayerLike } from "../tfjs-model.js";
import type { LayerTranslator } from "./graph.js";
import { isNestedModel } from "./walk.js";

/** A layer the exporter cannot translate, and why. */
export interface UnsupportedLayer {
  /** tfjs class name (`getClassName()`). */
  className: string;
  /** The layer's name in the model. */
  name: string;
  /** What is missing: `"layer class"` or the configuration that has no translation. */
  reason: string;
}

/**
 * Checks every layer (nested models included) before anything is translated.
 *
 * @throws OnnxUnsupportedModelError listing every unsupported layer by class and name.
 */
export function assertExportable(layers: readonly TfjsLayerLike[], translators: Readonly<Record<string, LayerTranslator>>): void {
  const problems: UnsupportedLayer[] = [];
  collect(layers, translators, problems);
  if (problems.length === 0) return;
  const list = problems.map((p) => `${p.className} "${p.name}" (${p.reason})`).join("; ");
  throw new OnnxUnsupportedModelError(
    `exportTfjsToOnnx: ${problems.length} layer(s) cannot be exported to ONNX: ${list}. Supported layers: ${Object.keys(translators).sort().join(", ")}.`,
    problems,
  );
}

function collect(layers: readonly TfjsLayerLike[], translators: Readonly<Record<string, LayerTranslator>>, problems: UnsupportedLayer[]): void {
  for (const layer of layers) {
    if (isNestedModel(layer)) {
      collect(layer.layers, translators, problems);
      continue;
    }
    const className = layer.getClassName();
    if (className === "InputLayer") continue;
    const translator = translators[className];
    const reason = translator ? translator.check?.(layer, layer.getConfig(), translators) : "layer class";
    if (reason !== undefined) problems.push({ className, name: layer.name, reason });
  }
}

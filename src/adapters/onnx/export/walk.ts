import { InvalidValueError } from "../../../core/errors.js";
import { OnnxUnsupportedModelError } from "../errors.js";
import type { TfjsLayerLike, TfjsModelLike, TfjsNodeLike, TfjsSymbolicLike } from "../tfjs-model.js";
import type { ExportGraph, LayerTranslator, Value } from "./graph.js";

/** True for a layer that is itself a model (a nested `Sequential` or functional model). */
export function isNestedModel(layer: TfjsLayerLike): layer is TfjsModelLike {
  const m = layer as Partial<TfjsModelLike>;
  return Array.isArray(m.layers) && Array.isArray(m.inputs) && Array.isArray(m.outputs);
}

/**
 * Translates a model's graph, from its outputs back to its inputs (tfjs's `SymbolicTensor`s
 * and layer `Node`s), and returns the values of its outputs. Each layer call is translated
 * once; a shared layer is translated once per call (with one copy of its weights); a nested
 * model is translated inline, once per call.
 */
export async function translateGraph(
  g: ExportGraph,
  model: TfjsModelLike,
  inputs: readonly Value[],
  translators: Readonly<Record<string, LayerTranslator>>,
): Promise<Value[]> {
  // Scoped per model call: a nested model called twice has the same inner tensors each time.
  const scope = new Map<TfjsSymbolicLike, Value>();
  model.inputs.forEach((t, i) => scope.set(t, inputs[i]!));

  const valueOf = async (t: TfjsSymbolicLike): Promise<Value> => {
    const known = scope.get(t);
    if (known) return known;
    const layer = t.sourceLayer;
    const node = layer?.inboundNodes?.find((n) => n.outputTensors.includes(t));
    if (!layer || !node) {
      throw new InvalidValueError(`exportTfjsToOnnx: a value of model ${model.name} comes from no layer call (${layer?.name ?? "no source layer"}); is the model built?`, layer?.name);
    }
    const args: Value[] = [];
    for (const input of node.inputTensors) args.push(await valueOf(input));
    const outputs = await callLayer(g, layer, node, args, translators);
    node.outputTensors.forEach((o, i) => scope.set(o, outputs[i]!));
    return scope.get(t)!;
  };

  const outputs: Value[] = [];
  for (const t of model.outputs) outputs.push(await valueOf(t));
  return outputs;
}

async function callLayer(
  g: ExportGraph,
  layer: TfjsLayerLike,
  node: TfjsNodeLike,
  inputs: Value[],
  translators: Readonly<Record<string, LayerTranslator>>,
): Promise<Value[]> {
  if (isNestedModel(layer)) return translateGraph(g, layer, inputs, translators);
  const className = layer.getClassName();
  const translator = translators[className];
  if (!translator) throw new OnnxUnsupportedModelError(`exportTfjsToOnnx: layer ${className} "${layer.name}" has no ONNX translation.`, [{ className, name: layer.name }]);
  const outputShapes = node.outputTensors.map((o) => o.shape);
  const names = await translator.translate(g, { layer, config: layer.getConfig(), inputs, outputShapes, base: layer.name, translators });
  return names.map((name, i) => ({ name, shape: outputShapes[i]! }));
}

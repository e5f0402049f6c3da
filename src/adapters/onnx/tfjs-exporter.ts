import { InvalidValueError } from "../../core/errors.js";
import { ElemType } from "./data-types.js";
import { OnnxUnsupportedModelError } from "./errors.js";
import { assertExportable } from "./export/check.js";
import { ExportGraph, type Value } from "./export/graph.js";
import { TRANSLATORS } from "./export/registry.js";
import { translateGraph } from "./export/walk.js";
import { encodeModel, type NodeSpec } from "./model-writer.js";
import { isTfjsModel, type TfjsSymbolicLike } from "./tfjs-model.js";
import type { OnnxDim } from "./types.js";
import { VERSION } from "../../version.js";

/** Options of {@link exportTfjsToOnnx}. */
export interface TfjsToOnnxOptions {
  /** Name of the graph input of a one-input model (the key of `sampleInputs`). @default "input" */
  inputName?: string;
  /** Name of the graph output of a one-output model. @default "output" */
  outputName?: string;
  /**
   * Names of the graph inputs, in the model's input order (any number of inputs).
   * @default `[inputName]` for one input, else tfjs's `model.inputNames` (the input layers' names)
   */
  inputNames?: readonly string[];
  /**
   * Names of the graph outputs, in the model's output order.
   * @default `[outputName]` for one output, else tfjs's `model.outputNames` (made unique)
   */
  outputNames?: readonly string[];
  /** Symbolic name of the batch dimension (dim 0 of every input and output). @default "N" */
  batchDim?: string;
  /** `producer_name`. @default "runtrail" */
  producerName?: string;
  /** `producer_version`. @default runtrail's version when `producerName` is left as "runtrail" */
  producerVersion?: string;
  /** `model_version`. @default not written */
  modelVersion?: number;
  /** `doc_string`. @default not written */
  docString?: string;
  /** `GraphProto.name`. @default the tfjs model's name */
  graphName?: string;
  /**
   * `metadata_props`, added to the defaults `{ source_framework: "tfjs", source_model: <model.name> }`
   * (a key given here replaces a default).
   */
  metadataProps?: Record<string, string>;
}

/** The translated layer classes (`getClassName()` values), besides nested `Sequential` / functional models. */
export const SUPPORTED_LAYERS: readonly string[] = ["InputLayer", ...Object.keys(TRANSLATORS)];

/**
 * The ONNX opset the exporter writes (default domain). 13 runs on every onnxruntime since 1.6
 * (web and mobile builds included); LayerNormalization (opset 17) is written as its exact
 * decomposition instead.
 */
export const EXPORT_OPSET = 13;
/** The IR version the exporter writes: 7, the one released with opset 13. */
export const EXPORT_IR_VERSION = 7;

const INPUT_TYPES: Readonly<Record<string, number>> = { float32: ElemType.FLOAT, int32: ElemType.INT32 };

/**
 * Exports a tfjs `LayersModel` — `Sequential` or functional, with several inputs and outputs,
 * shared layers and nested models — to ONNX (opset 13, IR 7, float32 weights, batch dim
 * symbolic). The layers are listed in `SUPPORTED_LAYERS` (convolutions, pooling, normalization,
 * embedding, recurrent, merge, reshaping, activation and noise layers) and the activations in
 * `SUPPORTED_ACTIVATIONS`. Inputs and outputs keep tfjs's layout (channels last); the
 * transposes ONNX convolutions need are inside the graph. The model is read by duck typing,
 * so any copy of tfjs works; tfjs is not imported.
 *
 * @example
 * const bytes = await exportTfjsToOnnx(model, { inputName: "x" });
 * await writeFile("model.onnx", bytes);
 *
 * @throws OnnxUnsupportedModelError before any translation, listing every layer that cannot be
 *   exported (`value`: `{ className, name, reason }[]`), or for non-float32/int32 inputs.
 * @throws InvalidValueError when `model` is not a built tfjs model or the names are invalid.
 */
export async function exportTfjsToOnnx(model: unknown, options: TfjsToOnnxOptions = {}): Promise<Uint8Array> {
  if (!isTfjsModel(model)) {
    throw new InvalidValueError("exportTfjsToOnnx: expected a tfjs model (an object with `layers`, `getClassName()` and `getConfig()`).", model);
  }
  if (!model.inputs?.length || !model.outputs?.length) {
    throw new InvalidValueError("exportTfjsToOnnx: the model is not built yet; give its first layer an `inputShape` (or call model.build()).", model.name);
  }
  const badInputs = model.inputs.filter((t) => INPUT_TYPES[t.dtype] === undefined).map((t) => t.dtype);
  if (badInputs.length) {
    throw new OnnxUnsupportedModelError(`exportTfjsToOnnx: only float32 and int32 inputs are supported (got ${badInputs.join(", ")}).`, badInputs);
  }
  assertExportable(model.layers, TRANSLATORS);

  const batch = options.batchDim ?? "N";
  const inputNames = ioNames("input", options.inputNames, options.inputName, model.inputs.length, model.inputNames);
  const outputNames = ioNames("output", options.outputNames, options.outputName, model.outputs.length, model.outputNames);
  const clash = inputNames.find((n) => outputNames.includes(n));
  if (clash !== undefined) throw new InvalidValueError(`exportTfjsToOnnx: "${clash}" names both an input and an output; give distinct names.`, clash);

  const g = new ExportGraph();
  for (const name of [...inputNames, ...outputNames]) g.reserve(name);
  const inputs: Value[] = model.inputs.map((t, i) => ({ name: inputNames[i]!, shape: t.shape }));
  const outputs = await translateGraph(g, model, inputs, TRANSLATORS);
  nameOutputs(g, outputs, outputNames, new Set(inputNames));

  return encodeModel({
    irVersion: EXPORT_IR_VERSION,
    opsets: [{ domain: "", version: EXPORT_OPSET }],
    producerName: options.producerName ?? "runtrail",
    ...((options.producerVersion ?? (options.producerName === undefined ? VERSION : undefined)) !== undefined && {
      producerVersion: options.producerVersion ?? VERSION,
    }),
    ...(options.modelVersion !== undefined && { modelVersion: options.modelVersion }),
    ...(options.docString !== undefined && { docString: options.docString }),
    metadataProps: { source_framework: "tfjs", source_model: model.name, ...options.metadataProps },
    graph: {
      name: options.graphName ?? model.name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: model.inputs.map((t, i) => valueInfo(inputNames[i]!, t, batch)),
      outputs: model.outputs.map((t, i) => ({ name: outputNames[i]!, elemType: ElemType.FLOAT, shape: onnxShape(t.shape, batch) })),
    },
  });
}

function valueInfo(name: string, t: TfjsSymbolicLike, batch: string): { name: string; elemType: number; shape: OnnxDim[] } {
  return { name, elemType: INPUT_TYPES[t.dtype]!, shape: onnxShape(t.shape, batch) };
}

function onnxShape(shape: ReadonlyArray<number | null>, batch: string): OnnxDim[] {
  return shape.map((d, i) => (i === 0 ? batch : d));
}

function ioNames(kind: string, list: readonly string[] | undefined, single: string | undefined, count: number, tfjsNames: readonly string[] | undefined): string[] {
  let names: string[];
  if (list !== undefined) names = [...list];
  else if (count === 1) names = [single ?? kind];
  else if (single !== undefined) throw new InvalidValueError(`exportTfjsToOnnx: the model has ${count} ${kind}s; give ${kind}Names (one per ${kind}) instead of ${kind}Name.`, single);
  else names = uniqueNames(tfjsNames?.length === count ? tfjsNames : Array.from({ length: count }, (_, i) => `${kind}_${i}`));
  if (names.length !== count || names.some((n) => typeof n !== "string" || n === "") || new Set(names).size !== names.length) {
    throw new InvalidValueError(`exportTfjsToOnnx: ${kind}Names must be ${count} distinct non-empty strings (got ${JSON.stringify(names)}).`, names);
  }
  return names;
}

function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let i = 1; seen.has(name); i++) name = `${n}_${i}`;
    seen.add(name);
    return name;
  });
}

/**
 * Gives each output value its public name: the node that makes it is renamed when nothing
 * else reads the value; otherwise (a graph input, a value used twice) an Identity is added.
 */
function nameOutputs(g: ExportGraph, values: readonly Value[], names: readonly string[], graphInputs: ReadonlySet<string>): void {
  const readers = new Map<string, number>();
  for (const node of g.nodes) for (const input of node.inputs) readers.set(input, (readers.get(input) ?? 0) + 1);
  const renamed = new Map<string, string>();
  values.forEach((value, i) => {
    const name = names[i]!;
    const producer = g.nodes.findIndex((n) => n.outputs.includes(value.name));
    if (producer >= 0 && !graphInputs.has(value.name) && !renamed.has(value.name) && !readers.has(value.name)) {
      const node: NodeSpec = g.nodes[producer]!;
      g.nodes[producer] = { ...node, outputs: node.outputs.map((o) => (o === value.name ? name : o)), ...(node.name === value.name && { name }) };
      renamed.set(value.name, name);
    } else {
      g.nodes.push({ opType: "Identity", inputs: [renamed.get(value.name) ?? value.name], outputs: [name], name });
    }
  });
}

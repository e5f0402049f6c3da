import { InvalidValueError } from "../../core/errors.js";
import { ElemType } from "./data-types.js";
import { OnnxUnsupportedModelError } from "./errors.js";
import { GraphBuilder } from "./graph-builder.js";
import { encodeModel } from "./model-writer.js";
import { activationEmitter, SUPPORTED_ACTIVATIONS } from "./tfjs-activations.js";
import { isTfjsModel, type TfjsLayerLike, type TfjsModelLike } from "./tfjs-model.js";
import type { OnnxDim } from "./types.js";
import { VERSION } from "../../version.js";

/** Options of {@link exportTfjsToOnnx}. */
export interface TfjsToOnnxOptions {
  /** Name of the graph input (the key of `sampleInputs`). @default "input" */
  inputName?: string;
  /** Name of the graph output. @default "output" */
  outputName?: string;
  /** Symbolic name of the batch dimension (dim 0 of the input and output). @default "N" */
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

/** The translated layer classes (`getClassName()` values). */
export const SUPPORTED_LAYERS: readonly string[] = ["InputLayer", "Dense", "Activation", "Dropout", "Flatten"];

/** The ONNX opset the exporter writes (default domain). */
export const EXPORT_OPSET = 13;
/** The IR version the exporter writes: 7, the one released with opset 13. */
export const EXPORT_IR_VERSION = 7;

/**
 * Exports a tfjs `Sequential` model built from `dense` (with or without bias), `activation`,
 * `dropout` (identity at inference), `flatten` and `inputLayer` layers to ONNX (opset 13,
 * float32, input dim 0 symbolic). Activations: every name in `SUPPORTED_ACTIVATIONS`
 * (relu, sigmoid, tanh, softmax, linear, elu, selu, relu6, softplus, softsign, hardSigmoid,
 * logSoftmax, swish, mish, gelu, gelu_new). Works with any tfjs copy: the model is read by
 * duck typing and tfjs is not imported.
 *
 * @example
 * const bytes = await exportTfjsToOnnx(model, { inputName: "x" });
 * await writeFile("model.onnx", bytes);
 *
 * @throws OnnxUnsupportedModelError listing every unsupported layer class (and activation).
 * @throws InvalidValueError when `model` is not a built tfjs model.
 */
export async function exportTfjsToOnnx(model: unknown, options: TfjsToOnnxOptions = {}): Promise<Uint8Array> {
  if (!isTfjsModel(model)) {
    throw new InvalidValueError("exportTfjsToOnnx: expected a tfjs model (an object with `layers`, `getClassName()` and `getConfig()`).", model);
  }
  const className = model.getClassName();
  if (className !== "Sequential") {
    throw new OnnxUnsupportedModelError(
      `exportTfjsToOnnx: only Sequential models are supported (got ${className}); rebuild it with tf.sequential().`,
      [className],
    );
  }
  const input = model.inputs?.[0];
  const output = model.outputs?.[0];
  if (!input || !output) {
    throw new InvalidValueError("exportTfjsToOnnx: the model is not built yet; give its first layer an `inputShape` (or call model.build()).", model.name);
  }
  if (input.dtype !== "float32") {
    throw new OnnxUnsupportedModelError(`exportTfjsToOnnx: only float32 inputs are supported (got ${input.dtype}).`, [input.dtype]);
  }
  checkSupported(model.layers);

  const batch = options.batchDim ?? "N";
  const inputName = options.inputName ?? "input";
  const outputName = options.outputName ?? "output";
  if (inputName === outputName) throw new InvalidValueError("exportTfjsToOnnx: inputName and outputName must differ.", inputName);
  const g = new GraphBuilder();
  g.reserve(inputName);
  g.reserve(outputName);
  let x = inputName;
  let rank = input.shape.length;
  for (const layer of model.layers) {
    const translated = await translateLayer(g, layer, x, rank);
    x = translated.value;
    rank = translated.rank;
  }
  // The last value gets the public output name (an Identity when the model ends in a no-op layer).
  const last = g.nodes.at(-1);
  if (last && last.outputs[0] === x) {
    g.nodes[g.nodes.length - 1] = { ...last, outputs: [outputName] };
  } else {
    g.nodes.push({ opType: "Identity", inputs: [x], outputs: [outputName], name: outputName });
  }

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
      inputs: [{ name: inputName, elemType: ElemType.FLOAT, shape: onnxShape(input.shape, batch) }],
      outputs: [{ name: outputName, elemType: ElemType.FLOAT, shape: onnxShape(output.shape, batch) }],
    },
  });
}

function onnxShape(shape: ReadonlyArray<number | null>, batch: string): OnnxDim[] {
  return shape.map((d, i) => (i === 0 ? batch : d));
}

/** Every unsupported layer class and activation, reported together. */
function checkSupported(layers: readonly TfjsLayerLike[]): void {
  const layerNames = new Set<string>();
  const activations = new Set<string>();
  for (const layer of layers) {
    const cls = layer.getClassName();
    if (!SUPPORTED_LAYERS.includes(cls)) {
      layerNames.add(cls);
      continue;
    }
    if (cls === "Dense" || cls === "Activation") {
      const activation = layer.getConfig().activation ?? "linear";
      if (!activationEmitter(activation)) activations.add(String(activation));
    }
  }
  if (layerNames.size === 0 && activations.size === 0) return;
  const parts: string[] = [];
  if (layerNames.size) parts.push(`layers ${[...layerNames].join(", ")} (supported: ${SUPPORTED_LAYERS.join(", ")})`);
  if (activations.size) parts.push(`activations ${[...activations].join(", ")} (supported: ${SUPPORTED_ACTIVATIONS.join(", ")})`);
  throw new OnnxUnsupportedModelError(`exportTfjsToOnnx: the model uses unsupported ${parts.join(" and ")}.`, [...layerNames, ...activations]);
}

async function translateLayer(g: GraphBuilder, layer: TfjsLayerLike, x: string, rank: number): Promise<{ value: string; rank: number }> {
  const config = layer.getConfig();
  const base = layer.name;
  switch (layer.getClassName()) {
    case "InputLayer":
    case "Dropout":
      return { value: x, rank };
    case "Activation":
      return { value: activationEmitter(config.activation ?? "linear")!(g, x, base), rank };
    case "Flatten": {
      let value = x;
      if (config.dataFormat === "channelsFirst" && rank > 2) {
        // tfjs moves channels last before flattening (keras' `channels_first` Flatten).
        const perm = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
        value = g.op("Transpose", [value], `${base}/transpose`, [{ name: "perm", type: "ints", value: perm }]);
      }
      return { value: g.op("Flatten", [value], `${base}/flatten`, [{ name: "axis", type: "int", value: 1 }]), rank: 2 };
    }
    case "Dense":
      return { value: await translateDense(g, layer, config, x), rank };
    default:
      throw new OnnxUnsupportedModelError(`exportTfjsToOnnx: unsupported layer ${layer.getClassName()}.`, [layer.getClassName()]);
  }
}

async function translateDense(g: GraphBuilder, layer: TfjsLayerLike, config: Record<string, unknown>, x: string): Promise<string> {
  const base = layer.name;
  const useBias = config.useBias !== false;
  const weights = layer.getWeights();
  const kernel = weights[0];
  const bias = useBias ? weights[1] : undefined;
  if (!kernel || kernel.shape.length !== 2 || (useBias && (!bias || bias.shape.length !== 1))) {
    throw new InvalidValueError(`exportTfjsToOnnx: layer ${base} has no built kernel${useBias ? "/bias" : ""}; build the model before exporting.`, base);
  }
  for (const w of [kernel, bias]) {
    if (w && w.dtype !== "float32") throw new OnnxUnsupportedModelError(`exportTfjsToOnnx: layer ${base} has ${w.dtype} weights; only float32 is supported.`, [w.dtype]);
  }
  const W = g.constant(`${base}/kernel`, kernel.shape, Float32Array.from(await kernel.data()));
  let y = g.op("MatMul", [x, W], `${base}/matmul`);
  if (bias) {
    const B = g.constant(`${base}/bias`, bias.shape, Float32Array.from(await bias.data()));
    y = g.op("Add", [y, B], `${base}/bias_add`);
  }
  return activationEmitter(config.activation ?? "linear")!(g, y, base);
}

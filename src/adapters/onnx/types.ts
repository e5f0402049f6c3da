/** One dimension of a shape: a size, a symbolic name such as `"N"`, or `null` when the model leaves it unknown. */
export type OnnxDim = number | string | null;

/** A graph input or output as the model declares it. */
export interface OnnxValueInfo {
  /** The value's name, the key to use in `sampleInputs` and `reference`. */
  name: string;
  /**
   * Element type of a tensor as onnxruntime names it (`"float32"`, `"int64"` …); for
   * non-tensor values `"sequence<…>"`, `"map<…,…>"`, `"optional<…>"`, `"sparse_tensor<…>"`.
   */
  type: string;
  /**
   * Dimensions: a number, a symbolic dim's name (`"batch"`), or `null` for a dim the model
   * leaves unnamed; the whole shape is `null` when the rank is unknown (or the value is not a tensor).
   */
  shape: OnnxDim[] | null;
}

/** An operator set the model imports; `domain` `""` is the default ONNX domain (`ai.onnx`). */
export interface OnnxOpset {
  domain: string;
  version: number;
}

/** Summary of the main graph's initializers (the model's weights); payloads are never read. */
export interface OnnxInitializers {
  /** Number of dense initializers (`GraphProto.initializer`). */
  count: number;
  /** Number of sparse initializers (`GraphProto.sparse_initializer`). */
  sparseCount: number;
  /** Total number of elements (the product of each tensor's dims; a sparse one counts its dense shape). */
  elements: number;
  /** Number of initializers per element type (`{ float32: 4, float16: 1 }`); a sparse one counts its values' type. */
  types: Record<string, number>;
}

/** A model-local function (`ModelProto.functions`, IR ≥ 8). */
export interface OnnxFunction {
  domain: string;
  name: string;
  /** `FunctionProto.overload` (IR 10), `""` when unset. */
  overload: string;
  inputs: string[];
  outputs: string[];
  /** Nodes of the function's body. */
  nodeCount: number;
}

/** A file holding some of the model's tensors (ONNX external data), next to the model. */
export interface OnnxExternalFile {
  /** The location as the model writes it, relative to the model's folder. */
  location: string;
  /** Size of the file in bytes; `null` when the model was given as bytes and the file was not looked at. */
  sizeBytes: number | null;
  /** Number of tensors whose data is in this file. */
  tensors: number;
}

/** What `inspectOnnx` reads from a model. Every field is plain JSON, ready for a lineage summary. */
export interface OnnxSignature {
  /** `ModelProto.ir_version`. */
  irVersion: number;
  /** `ModelProto.opset_import`, in file order. */
  opsets: OnnxOpset[];
  /** `producer_name` / `producer_version` (`""` when the model does not say). */
  producer: { name: string; version: string };
  /** `ModelProto.domain` (`""` when unset). */
  domain: string;
  /** `ModelProto.model_version` (`0` when unset). */
  modelVersion: number;
  /** `ModelProto.doc_string` (`""` when unset). */
  docString: string;
  /** `GraphProto.name` (`""` when unset). */
  graphName: string;
  /** Graph inputs that are fed at run time (initializers listed as inputs are left out). */
  inputs: OnnxValueInfo[];
  /** Graph outputs. */
  outputs: OnnxValueInfo[];
  /** `ModelProto.metadata_props` as an object (a repeated key keeps its last value). */
  metadataProps: Record<string, string>;
  /** The main graph's weights: counts, element total and element types. */
  initializers: OnnxInitializers;
  /**
   * Nodes per operator, over the main graph and every subgraph (`If`/`Loop`/`Scan` bodies):
   * `"Conv"` for the default ONNX domain, `"<domain>:<op>"` for others (`"com.microsoft:Gelu"`).
   * A call of a model-local function counts under the function's domain and name.
   */
  operators: Record<string, number>;
  /** Number of nodes in the main graph and its subgraphs (function bodies not included). */
  nodeCount: number;
  /** Number of subgraphs (graph-valued attributes), nested ones included. */
  subgraphCount: number;
  /** Model-local functions, in file order. */
  functions: OnnxFunction[];
  /** External data files, in the order the model first names them; `[]` when every tensor is inside the model. */
  externalData: OnnxExternalFile[];
  /** Size in bytes: the model file plus its external data files. */
  sizeBytes: number;
  /**
   * md5, first 12 hex characters: Polyaxon's `hash_file` of the model file; with external data,
   * Polyaxon's `hash_dir` of the folder runtrail logs (the model and its data files), so it
   * equals the hash in the model's lineage record.
   */
  hash: string;
  /** `true` when onnxruntime-node created an `InferenceSession` from the model (`inspectOnnx`'s `load` option). */
  loaded: boolean;
}

/** Result of running sample inputs through the model (kept in the lineage summary as `parity`). */
export interface OnnxParityResult {
  /** `true` when outputs were compared with a reference; `false` when none was run or given. */
  checked: boolean;
  /** Largest absolute difference over every compared element, `null` when nothing was compared. */
  maxAbsDiff: number | null;
  /** The tolerance used, `null` when nothing was compared. */
  tolerance: number | null;
  /** Number of sample feeds run through the model. */
  samples: number;
}

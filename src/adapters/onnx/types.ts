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
  /** Dimensions, with symbolic dims kept as their names; `null` when the rank is unknown (or the value is not a tensor). */
  shape: OnnxDim[] | null;
}

/** An operator set the model imports; `domain` `""` is the default ONNX domain (`ai.onnx`). */
export interface OnnxOpset {
  domain: string;
  version: number;
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
  /** Size of the model file in bytes. */
  sizeBytes: number;
  /** md5 of the bytes, first 12 hex characters: the same value as Polyaxon's `hash_file`. */
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

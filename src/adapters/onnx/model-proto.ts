import { elemTypeName } from "./data-types.js";
import { expectWireType, ProtoReader, readMessage, WireType, WireFormatError } from "./protobuf.js";
import type { OnnxDim, OnnxOpset, OnnxSignature, OnnxValueInfo } from "./types.js";

/** The fields of an ONNX `ModelProto` that runtrail reads (field numbers from `onnx/onnx.proto`). */
export type DecodedModel = Omit<OnnxSignature, "sizeBytes" | "hash" | "loaded"> & {
  /** `true` when some initializer keeps its data in an external file (`data_location = EXTERNAL`). */
  hasExternalData: boolean;
};

/**
 * Decodes the metadata and signature of a serialized `ModelProto`.
 *
 * @throws WireFormatError when the bytes are not well-formed protobuf or a required field
 *   (`ir_version`, `graph`, `opset_import` from IR 3 on) is missing.
 */
export function decodeModelProto(bytes: Uint8Array): DecodedModel {
  if (bytes.length === 0) throw new WireFormatError("the data is empty", 0);
  let irVersion: number | undefined;
  let graph: Uint8Array | undefined;
  const opsets: OnnxOpset[] = [];
  const producer = { name: "", version: "" };
  const metadataProps: Record<string, string> = {};
  let domain = "";
  let modelVersion = 0;
  let docString = "";

  readMessage(bytes, {
    1: (r, w) => {
      expectWireType(r, w, WireType.VARINT, "ModelProto.ir_version");
      irVersion = r.readInt64();
    },
    2: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ModelProto.producer_name");
      producer.name = r.readString();
    },
    3: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ModelProto.producer_version");
      producer.version = r.readString();
    },
    4: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ModelProto.domain");
      domain = r.readString();
    },
    5: (r, w) => {
      expectWireType(r, w, WireType.VARINT, "ModelProto.model_version");
      modelVersion = r.readInt64();
    },
    6: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ModelProto.doc_string");
      docString = r.readString();
    },
    7: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ModelProto.graph");
      // A repeated singular message field is merged by protobuf; ONNX writers never do it, so keep the last.
      graph = r.readBytes();
    },
    8: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ModelProto.opset_import");
      opsets.push(decodeOpset(r.readBytes()));
    },
    14: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ModelProto.metadata_props");
      const { key, value } = decodeStringEntry(r.readBytes());
      metadataProps[key] = value;
    },
  });

  if (irVersion === undefined || irVersion <= 0) {
    throw new WireFormatError(`ModelProto.ir_version is ${irVersion === undefined ? "missing" : irVersion}`, 0);
  }
  if (graph === undefined) throw new WireFormatError("ModelProto.graph is missing", bytes.length);
  if (irVersion >= 3 && opsets.length === 0) throw new WireFormatError("ModelProto.opset_import is empty", bytes.length);
  return { irVersion, opsets, producer, domain, modelVersion, docString, metadataProps, ...decodeGraph(graph) };
}

function decodeOpset(bytes: Uint8Array): OnnxOpset {
  const opset: OnnxOpset = { domain: "", version: 0 };
  readMessage(bytes, {
    1: (r, w) => {
      expectWireType(r, w, WireType.LEN, "OperatorSetIdProto.domain");
      opset.domain = r.readString();
    },
    2: (r, w) => {
      expectWireType(r, w, WireType.VARINT, "OperatorSetIdProto.version");
      opset.version = r.readInt64();
    },
  });
  return opset;
}

function decodeStringEntry(bytes: Uint8Array): { key: string; value: string } {
  const entry = { key: "", value: "" };
  readMessage(bytes, {
    1: (r, w) => {
      expectWireType(r, w, WireType.LEN, "StringStringEntryProto.key");
      entry.key = r.readString();
    },
    2: (r, w) => {
      expectWireType(r, w, WireType.LEN, "StringStringEntryProto.value");
      entry.value = r.readString();
    },
  });
  return entry;
}

function decodeGraph(bytes: Uint8Array): Pick<DecodedModel, "graphName" | "inputs" | "outputs" | "hasExternalData"> {
  let graphName = "";
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const initializers = new Set<string>();
  let hasExternalData = false;
  readMessage(bytes, {
    2: (r, w) => {
      expectWireType(r, w, WireType.LEN, "GraphProto.name");
      graphName = r.readString();
    },
    5: (r, w) => {
      expectWireType(r, w, WireType.LEN, "GraphProto.initializer");
      const init = decodeInitializer(r.readBytes());
      initializers.add(init.name);
      hasExternalData ||= init.external;
    },
    11: (r, w) => {
      expectWireType(r, w, WireType.LEN, "GraphProto.input");
      inputs.push(decodeValueInfo(r.readBytes()));
    },
    12: (r, w) => {
      expectWireType(r, w, WireType.LEN, "GraphProto.output");
      outputs.push(decodeValueInfo(r.readBytes()));
    },
  });
  // Before IR 4 every initializer had to be listed as an input too; they are not fed at run time.
  return { graphName, inputs: inputs.filter((i) => !initializers.has(i.name)), outputs, hasExternalData };
}

/** `TensorProto`: only the name (8) and `data_location` (14; 1 = EXTERNAL) matter here. */
function decodeInitializer(bytes: Uint8Array): { name: string; external: boolean } {
  const init = { name: "", external: false };
  readMessage(bytes, {
    8: (r, w) => {
      expectWireType(r, w, WireType.LEN, "TensorProto.name");
      init.name = r.readString();
    },
    14: (r, w) => {
      expectWireType(r, w, WireType.VARINT, "TensorProto.data_location");
      init.external = r.readInt32() === 1;
    },
  });
  return init;
}

function decodeValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const info: OnnxValueInfo = { name: "", type: "undefined", shape: null };
  readMessage(bytes, {
    1: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ValueInfoProto.name");
      info.name = r.readString();
    },
    2: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ValueInfoProto.type");
      const { type, shape } = decodeType(r.readBytes());
      info.type = type;
      info.shape = shape;
    },
  });
  return info;
}

/** `TypeProto`: tensor_type 1, sequence_type 4, map_type 5, sparse_tensor_type 8, optional_type 9. */
function decodeType(bytes: Uint8Array): { type: string; shape: OnnxDim[] | null } {
  let result: { type: string; shape: OnnxDim[] | null } = { type: "undefined", shape: null };
  const nested = (what: string, wrap: (inner: string) => string) => (r: ProtoReader, w: WireType) => {
    expectWireType(r, w, WireType.LEN, what);
    const inner = decodeElemTypeHolder(r.readBytes());
    result = { type: wrap(inner), shape: null };
  };
  readMessage(bytes, {
    1: (r, w) => {
      expectWireType(r, w, WireType.LEN, "TypeProto.tensor_type");
      result = decodeTensorType(r.readBytes());
    },
    4: nested("TypeProto.sequence_type", (t) => `sequence<${t}>`),
    5: (r, w) => {
      expectWireType(r, w, WireType.LEN, "TypeProto.map_type");
      result = { type: decodeMapType(r.readBytes()), shape: null };
    },
    8: (r, w) => {
      expectWireType(r, w, WireType.LEN, "TypeProto.sparse_tensor_type");
      const sparse = decodeTensorType(r.readBytes());
      result = { type: `sparse_tensor<${sparse.type}>`, shape: sparse.shape };
    },
    9: nested("TypeProto.optional_type", (t) => `optional<${t}>`),
  });
  return result;
}

/** `Sequence`/`Optional` hold one `TypeProto elem_type = 1`. */
function decodeElemTypeHolder(bytes: Uint8Array): string {
  let type = "undefined";
  readMessage(bytes, {
    1: (r, w) => {
      expectWireType(r, w, WireType.LEN, "elem_type");
      type = decodeType(r.readBytes()).type;
    },
  });
  return type;
}

/** `Map`: `key_type = 1` (a data type code), `value_type = 2` (a TypeProto). */
function decodeMapType(bytes: Uint8Array): string {
  let key = "undefined";
  let value = "undefined";
  readMessage(bytes, {
    1: (r, w) => {
      expectWireType(r, w, WireType.VARINT, "TypeProto.Map.key_type");
      key = elemTypeName(r.readInt32());
    },
    2: (r, w) => {
      expectWireType(r, w, WireType.LEN, "TypeProto.Map.value_type");
      value = decodeType(r.readBytes()).type;
    },
  });
  return `map<${key},${value}>`;
}

/** `TypeProto.Tensor`: `elem_type = 1`, `shape = 2` (absent shape = unknown rank). */
function decodeTensorType(bytes: Uint8Array): { type: string; shape: OnnxDim[] | null } {
  let type = "undefined";
  let shape: OnnxDim[] | null = null;
  readMessage(bytes, {
    1: (r, w) => {
      expectWireType(r, w, WireType.VARINT, "TypeProto.Tensor.elem_type");
      type = elemTypeName(r.readInt32());
    },
    2: (r, w) => {
      expectWireType(r, w, WireType.LEN, "TypeProto.Tensor.shape");
      shape = decodeShape(r.readBytes());
    },
  });
  return { type, shape };
}

/** `TensorShapeProto`: repeated `dim = 1`, each `dim_value = 1` or `dim_param = 2`. */
function decodeShape(bytes: Uint8Array): OnnxDim[] {
  const dims: OnnxDim[] = [];
  readMessage(bytes, {
    1: (r, w) => {
      expectWireType(r, w, WireType.LEN, "TensorShapeProto.dim");
      let dim: OnnxDim = null;
      readMessage(r.readBytes(), {
        1: (d, dw) => {
          expectWireType(d, dw, WireType.VARINT, "Dimension.dim_value");
          dim = d.readInt64();
        },
        2: (d, dw) => {
          expectWireType(d, dw, WireType.LEN, "Dimension.dim_param");
          const name = d.readString();
          dim = name === "" ? null : name;
        },
      });
      dims.push(dim);
    },
  });
  return dims;
}

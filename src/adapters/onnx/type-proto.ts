import { elemTypeName } from "./data-types.js";
import { expectWireType, ProtoReader, readMessage, WireType } from "./protobuf.js";
import type { OnnxDim, OnnxValueInfo } from "./types.js";

/** `ValueInfoProto`: name and type; a value without a type is `"undefined"` with an unknown shape. */
export function decodeValueInfo(bytes: Uint8Array): OnnxValueInfo {
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

/** `StringStringEntryProto` (metadata props, external data entries). */
export function decodeStringEntry(bytes: Uint8Array): { key: string; value: string } {
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

import { ElemType } from "./data-types.js";
import { ProtoWriter } from "./protobuf-writer.js";
import type { OnnxDim, OnnxOpset } from "./types.js";

/** A constant tensor (`TensorProto`), stored as little-endian `raw_data`. */
export interface TensorSpec {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

/** A node attribute (`AttributeProto`) of one of the types the writer needs. */
export type AttributeSpec =
  | { name: string; type: "float"; value: number }
  | { name: string; type: "int"; value: number }
  | { name: string; type: "string"; value: string }
  | { name: string; type: "floats"; value: readonly number[] }
  | { name: string; type: "ints"; value: readonly number[] }
  | { name: string; type: "strings"; value: readonly string[] };

/** An operator call (`NodeProto`). */
export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: readonly AttributeSpec[];
}

/** A graph input or output (`ValueInfoProto`) with a tensor type; `shape: null` leaves the rank unknown. */
export interface ValueInfoSpec {
  name: string;
  /** ONNX element type code (1 = float32, 7 = int64 …). */
  elemType: number;
  shape: readonly OnnxDim[] | null;
}

/** A `GraphProto`. */
export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  initializers?: readonly TensorSpec[];
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
  docString?: string;
}

/** A `ModelProto`. */
export interface ModelSpec {
  irVersion: number;
  opsets: readonly OnnxOpset[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: GraphSpec;
  metadataProps?: Readonly<Record<string, string>>;
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7, strings: 8 } as const;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Serializes a model, fields in field-number order as the reference ONNX writer does. */
export function encodeModel(model: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, model.irVersion);
  if (model.producerName) w.string(2, model.producerName);
  if (model.producerVersion) w.string(3, model.producerVersion);
  if (model.domain) w.string(4, model.domain);
  if (model.modelVersion) w.varint(5, model.modelVersion);
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => writeGraph(g, model.graph));
  for (const opset of model.opsets) {
    w.message(8, (o) => {
      if (opset.domain) o.string(1, opset.domain);
      o.varint(2, opset.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadataProps ?? {})) {
    w.message(14, (e) => e.string(1, key).string(2, value));
  }
  return w.finish();
}

function writeGraph(w: ProtoWriter, graph: GraphSpec): void {
  for (const node of graph.nodes) w.message(1, (n) => writeNode(n, node));
  if (graph.name) w.string(2, graph.name);
  for (const tensor of graph.initializers ?? []) w.message(5, (t) => writeTensor(t, tensor));
  if (graph.docString) w.string(10, graph.docString);
  for (const input of graph.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

function writeNode(w: ProtoWriter, node: NodeSpec): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  if (node.name) w.string(3, node.name);
  w.string(4, node.opType);
  for (const attr of node.attributes ?? []) w.message(5, (a) => writeAttribute(a, attr));
  if (node.domain) w.string(7, node.domain);
}

function writeAttribute(w: ProtoWriter, attr: AttributeSpec): void {
  w.string(1, attr.name);
  switch (attr.type) {
    case "float":
      w.float(2, attr.value);
      break;
    case "int":
      w.varint(3, attr.value);
      break;
    case "string":
      w.string(4, attr.value);
      break;
    case "floats":
      for (const v of attr.value) w.float(7, v);
      break;
    case "ints":
      w.packedVarints(8, attr.value);
      break;
    case "strings":
      for (const v of attr.value) w.string(9, v);
      break;
  }
  w.varint(20, ATTRIBUTE_TYPE[attr.type]);
}

function writeTensor(w: ProtoWriter, tensor: TensorSpec): void {
  w.packedVarints(1, tensor.dims);
  w.varint(2, tensor.data instanceof Float32Array ? ElemType.FLOAT : ElemType.INT64);
  w.string(8, tensor.name);
  w.bytes(9, littleEndianBytes(tensor.data));
}

function writeValueInfo(w: ProtoWriter, info: ValueInfoSpec): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.varint(1, info.elemType);
      const shape = info.shape;
      if (shape) {
        tensor.message(2, (s) => {
          for (const dim of shape) {
            s.message(1, (d) => {
              if (typeof dim === "number") d.varint(1, dim);
              else if (typeof dim === "string") d.string(2, dim);
            });
          }
        });
      }
    }),
  );
}

function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) return view;
  const out = new Uint8Array(data.byteLength);
  const size = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < out.length; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = view[i + size - 1 - j]!;
  }
  return out;
}

import type { ByteSource } from "./byte-source.js";
import { GraphWalker, type ExternalTensor } from "./graph-proto.js";
import { expectWireType, ProtoReader, readMessage, WireType, WireFormatError } from "./protobuf.js";
import { decodeStringEntry } from "./type-proto.js";
import type { OnnxFunction, OnnxOpset, OnnxSignature } from "./types.js";

/** The fields of an ONNX `ModelProto` that runtrail reads (field numbers from `onnx/onnx.proto`). */
export type DecodedModel = Omit<OnnxSignature, "sizeBytes" | "hash" | "loaded" | "externalData"> & {
  /** Every tensor that keeps its data in an external file, anywhere in the model. */
  externalTensors: ExternalTensor[];
};

/**
 * Decodes the metadata and signature of a serialized `ModelProto`, from bytes in memory or
 * from a file source. Tensor payloads are skipped, never read.
 *
 * @throws WireFormatError when the bytes are not well-formed protobuf or a required field
 *   (`ir_version`, `graph`, `opset_import` from IR 3 on) is missing.
 */
export function decodeModelProto(input: Uint8Array | ByteSource): DecodedModel {
  if (input.length === 0) throw new WireFormatError("the data is empty", 0);
  let irVersion: number | undefined;
  let graph: ProtoReader | undefined;
  const opsets: OnnxOpset[] = [];
  const producer = { name: "", version: "" };
  const metadataProps: Record<string, string> = {};
  const functions: ProtoReader[] = [];
  let domain = "";
  let modelVersion = 0;
  let docString = "";

  readMessage(new ProtoReader(input), {
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
      graph = r.readNested();
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
    25: (r, w) => {
      expectWireType(r, w, WireType.LEN, "ModelProto.functions");
      functions.push(r.readNested());
    },
  });

  if (irVersion === undefined || irVersion <= 0) {
    throw new WireFormatError(`ModelProto.ir_version is ${irVersion === undefined ? "missing" : irVersion}`, 0);
  }
  if (graph === undefined) throw new WireFormatError("ModelProto.graph is missing", input.length);
  if (irVersion >= 3 && opsets.length === 0) throw new WireFormatError("ModelProto.opset_import is empty", input.length);
  const walker = new GraphWalker();
  const decodedGraph = walker.mainGraph(graph);
  const fns = functions.map((f) => decodeFunction(f, walker));
  return {
    irVersion,
    opsets,
    producer,
    domain,
    modelVersion,
    docString,
    metadataProps,
    graphName: decodedGraph.name,
    inputs: decodedGraph.inputs,
    outputs: decodedGraph.outputs,
    initializers: decodedGraph.initializers,
    operators: decodedGraph.operators,
    nodeCount: decodedGraph.nodeCount,
    subgraphCount: decodedGraph.subgraphCount,
    functions: fns,
    externalTensors: decodedGraph.externalTensors,
  };
}

/**
 * `FunctionProto`: name (1), domain (10), overload (13), its opsets (9) and its body (7);
 * the body's nodes are walked for external tensors in attributes, not counted as the graph's.
 */
function decodeFunction(reader: ProtoReader, walker: GraphWalker): OnnxFunction {
  const fn: OnnxFunction = { domain: "", name: "", overload: "", inputs: [], outputs: [], nodeCount: 0 };
  readMessage(reader, {
    1: (r, w) => {
      expectWireType(r, w, WireType.LEN, "FunctionProto.name");
      fn.name = r.readString();
    },
    4: (r, w) => {
      expectWireType(r, w, WireType.LEN, "FunctionProto.input");
      fn.inputs.push(r.readString());
    },
    5: (r, w) => {
      expectWireType(r, w, WireType.LEN, "FunctionProto.output");
      fn.outputs.push(r.readString());
    },
    7: (r, w) => {
      expectWireType(r, w, WireType.LEN, "FunctionProto.node");
      fn.nodeCount++;
      walker.node(r.readNested(), false);
    },
    10: (r, w) => {
      expectWireType(r, w, WireType.LEN, "FunctionProto.domain");
      fn.domain = r.readString();
    },
    13: (r, w) => {
      expectWireType(r, w, WireType.LEN, "FunctionProto.overload");
      fn.overload = r.readString();
    },
  });
  return fn;
}

/** `OperatorSetIdProto`. */
export function decodeOpset(bytes: Uint8Array): OnnxOpset {
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



import { elemTypeName } from "./data-types.js";
import { expectWireType, ProtoReader, readMessage, WireType } from "./protobuf.js";
import { decodeStringEntry, decodeValueInfo } from "./type-proto.js";
import type { OnnxInitializers, OnnxValueInfo } from "./types.js";

/** A tensor whose data lives in another file (`TensorProto.data_location = EXTERNAL`). */
export interface ExternalTensor {
  /** The tensor's name (`""` for an unnamed attribute tensor). */
  tensor: string;
  /** `external_data["location"]`: a path relative to the model's folder, as written in the model. */
  location: string;
  /** `external_data["offset"]`, 0 when absent. */
  offset: number;
  /** `external_data["length"]`, `null` when absent (the rest of the file). */
  length: number | null;
}

/** What the walk of a `GraphProto` (and every subgraph in it) finds. */
export interface DecodedGraph {
  name: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxInitializers;
  operators: Record<string, number>;
  nodeCount: number;
  subgraphCount: number;
  externalTensors: ExternalTensor[];
}

/** The header of a `TensorProto`; its payload (fields 4–7, 9–11) is skipped, never read. */
interface TensorHeader {
  name: string;
  dataType: number;
  dims: number[];
  external: boolean;
  externalData: Record<string, string>;
}

/**
 * Walks a model's graphs in place: the main graph's inputs, outputs and initializer headers;
 * the operators of every node, subgraphs (`If`/`Loop`/`Scan` bodies) included; and every tensor
 * kept in an external file, wherever it is (initializers, sparse initializers, attributes).
 */
export class GraphWalker {
  readonly operators: Record<string, number> = {};
  nodeCount = 0;
  subgraphCount = 0;
  readonly externalTensors: ExternalTensor[] = [];

  /** Decodes the main graph. */
  mainGraph(reader: ProtoReader): DecodedGraph {
    let name = "";
    const inputs: OnnxValueInfo[] = [];
    const outputs: OnnxValueInfo[] = [];
    const initializerNames = new Set<string>();
    const initializers: OnnxInitializers = { count: 0, sparseCount: 0, elements: 0, types: {} };
    const addInitializer = (header: TensorHeader, dims: number[]) => {
      initializerNames.add(header.name);
      const type = elemTypeName(header.dataType);
      initializers.types[type] = (initializers.types[type] ?? 0) + 1;
      initializers.elements += dims.reduce((a, b) => a * b, 1);
    };
    readMessage(reader, {
      1: (r, w) => {
        expectWireType(r, w, WireType.LEN, "GraphProto.node");
        this.node(r.readNested(), true);
      },
      2: (r, w) => {
        expectWireType(r, w, WireType.LEN, "GraphProto.name");
        name = r.readString();
      },
      5: (r, w) => {
        expectWireType(r, w, WireType.LEN, "GraphProto.initializer");
        const header = this.tensor(r.readNested());
        initializers.count++;
        addInitializer(header, header.dims);
      },
      11: (r, w) => {
        expectWireType(r, w, WireType.LEN, "GraphProto.input");
        inputs.push(decodeValueInfo(r.readBytes()));
      },
      12: (r, w) => {
        expectWireType(r, w, WireType.LEN, "GraphProto.output");
        outputs.push(decodeValueInfo(r.readBytes()));
      },
      15: (r, w) => {
        expectWireType(r, w, WireType.LEN, "GraphProto.sparse_initializer");
        const { values, dims } = this.sparseTensor(r.readNested());
        initializers.sparseCount++;
        addInitializer(values, dims);
      },
    });
    return {
      name,
      // Before IR 4 every initializer had to be listed as an input too; they are not fed at run time.
      inputs: inputs.filter((i) => !initializerNames.has(i.name)),
      outputs,
      initializers,
      operators: this.operators,
      nodeCount: this.nodeCount,
      subgraphCount: this.subgraphCount,
      externalTensors: this.externalTensors,
    };
  }

  /**
   * `NodeProto`: op_type (4), domain (7), attributes (5). `counted` is false for the nodes of a
   * function body, which are looked at only for external tensors.
   */
  node(reader: ProtoReader, counted: boolean): void {
    let opType = "";
    let domain = "";
    readMessage(reader, {
      4: (r, w) => {
        expectWireType(r, w, WireType.LEN, "NodeProto.op_type");
        opType = r.readString();
      },
      5: (r, w) => {
        expectWireType(r, w, WireType.LEN, "NodeProto.attribute");
        this.attribute(r.readNested(), counted);
      },
      7: (r, w) => {
        expectWireType(r, w, WireType.LEN, "NodeProto.domain");
        domain = r.readString();
      },
    });
    if (!counted) return;
    this.nodeCount++;
    const key = operatorKey(domain, opType);
    this.operators[key] = (this.operators[key] ?? 0) + 1;
  }

  /** `AttributeProto`: tensors (t 5, tensors 10, sparse_tensor 22, sparse_tensors 23) and graphs (g 6, graphs 11). */
  private attribute(reader: ProtoReader, counted: boolean): void {
    const tensor = (r: ProtoReader, w: WireType) => {
      expectWireType(r, w, WireType.LEN, "AttributeProto.t");
      this.tensor(r.readNested());
    };
    const sparse = (r: ProtoReader, w: WireType) => {
      expectWireType(r, w, WireType.LEN, "AttributeProto.sparse_tensor");
      this.sparseTensor(r.readNested());
    };
    const graph = (r: ProtoReader, w: WireType) => {
      expectWireType(r, w, WireType.LEN, "AttributeProto.g");
      if (counted) this.subgraphCount++;
      this.subgraph(r.readNested(), counted);
    };
    readMessage(reader, { 5: tensor, 6: graph, 10: tensor, 11: graph, 22: sparse, 23: sparse });
  }

  /** A subgraph: only its nodes (and their attributes) matter; its own initializers may be external. */
  private subgraph(reader: ProtoReader, counted: boolean): void {
    readMessage(reader, {
      1: (r, w) => {
        expectWireType(r, w, WireType.LEN, "GraphProto.node");
        this.node(r.readNested(), counted);
      },
      5: (r, w) => {
        expectWireType(r, w, WireType.LEN, "GraphProto.initializer");
        this.tensor(r.readNested());
      },
      15: (r, w) => {
        expectWireType(r, w, WireType.LEN, "GraphProto.sparse_initializer");
        this.sparseTensor(r.readNested());
      },
    });
  }

  /** `SparseTensorProto`: values (1, a TensorProto), indices (2, a TensorProto), dims (3). */
  private sparseTensor(reader: ProtoReader): { values: TensorHeader; dims: number[] } {
    let values: TensorHeader = { name: "", dataType: 0, dims: [], external: false, externalData: {} };
    const dims: number[] = [];
    readMessage(reader, {
      1: (r, w) => {
        expectWireType(r, w, WireType.LEN, "SparseTensorProto.values");
        values = this.tensor(r.readNested());
      },
      2: (r, w) => {
        expectWireType(r, w, WireType.LEN, "SparseTensorProto.indices");
        this.tensor(r.readNested());
      },
      3: (r, w) => readInt64s(r, w, dims),
    });
    return { values, dims };
  }

  /** `TensorProto` header: dims (1), data_type (2), name (8), external_data (13), data_location (14). */
  private tensor(reader: ProtoReader): TensorHeader {
    const header: TensorHeader = { name: "", dataType: 0, dims: [], external: false, externalData: {} };
    readMessage(reader, {
      1: (r, w) => readInt64s(r, w, header.dims),
      2: (r, w) => {
        expectWireType(r, w, WireType.VARINT, "TensorProto.data_type");
        header.dataType = r.readInt32();
      },
      8: (r, w) => {
        expectWireType(r, w, WireType.LEN, "TensorProto.name");
        header.name = r.readString();
      },
      13: (r, w) => {
        expectWireType(r, w, WireType.LEN, "TensorProto.external_data");
        const { key, value } = decodeStringEntry(r.readBytes());
        header.externalData[key] = value;
      },
      14: (r, w) => {
        expectWireType(r, w, WireType.VARINT, "TensorProto.data_location");
        header.external = r.readInt32() === 1;
      },
    });
    if (header.external) {
      const { location = "", offset, length } = header.externalData;
      this.externalTensors.push({
        tensor: header.name,
        location,
        offset: offset === undefined ? 0 : Number(offset),
        length: length === undefined ? null : Number(length),
      });
    }
    return header;
  }
}

/** `"Conv"` for the default domain (`""` or `"ai.onnx"`), `"com.microsoft:FusedMatMul"` otherwise. */
export function operatorKey(domain: string, opType: string): string {
  return domain === "" || domain === "ai.onnx" ? opType : `${domain}:${opType}`;
}

/** A repeated `int64` field, packed (one LEN value) or not (one VARINT per element). */
function readInt64s(r: ProtoReader, w: WireType, into: number[]): void {
  if (w === WireType.VARINT) {
    into.push(r.readInt64());
    return;
  }
  expectWireType(r, w, WireType.LEN, "repeated int64");
  const packed = r.readNested();
  while (!packed.done) into.push(packed.readInt64());
}

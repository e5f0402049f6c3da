// ONNX files made by real exporters (torch.onnx.export, onnx.helper, onnx's external-data
// writer), read field by field against what python `onnx` reports for them (expected.json,
// both written by test/fixtures/onnx-real/make_fixtures.py), and loaded in onnxruntime-node.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectOnnx, withOnnxExport, type OnnxExportRecord, type OnnxSignature } from "../../src/adapters/onnx.js";
import { setDefaultRun } from "../../src/core/tracking.js";
import { init, type Run } from "../../src/index.js";
import { loadOrt, SESSION_OPTIONS, type OrtTensor } from "../../src/adapters/onnx/ort.js";
import { seededRandom } from "../fixtures/onnx-builder.js";
import { expected, REAL_DIR, type ExpectedModel, type ExpectedValue } from "../fixtures/onnx-real.js";

/** ONNX's `TensorProto.DataType` names → the names onnxruntime (and runtrail) use. */
const ORT_TYPE: Record<string, string> = {
  FLOAT: "float32",
  FLOAT16: "float16",
  BFLOAT16: "bfloat16",
  DOUBLE: "float64",
  INT8: "int8",
  UINT8: "uint8",
  INT32: "int32",
  INT64: "int64",
  BOOL: "bool",
};
const ortType = (onnxName: string): string => {
  const t = ORT_TYPE[onnxName];
  if (!t) throw new Error(`add ${onnxName} to ORT_TYPE`);
  return t;
};

/** The expected signature fields, in runtrail's names. */
function asSignature(e: ExpectedModel): Omit<OnnxSignature, "loaded"> {
  const values = (vs: ExpectedValue[]) => vs.map((v) => ({ name: v.name, type: ortType(v.elem_type), shape: v.dims }));
  return {
    irVersion: e.ir_version,
    opsets: e.opset_import,
    producer: { name: e.producer_name, version: e.producer_version },
    domain: e.domain,
    modelVersion: e.model_version,
    docString: e.doc_string,
    graphName: e.graph_name,
    inputs: values(e.inputs),
    outputs: values(e.outputs),
    metadataProps: e.metadata_props,
    initializers: {
      count: e.initializers.count,
      sparseCount: e.initializers.sparse_count,
      elements: e.initializers.elements,
      types: Object.fromEntries(Object.entries(e.initializers.types).map(([k, n]) => [ortType(k), n])),
    },
    operators: e.operators,
    nodeCount: e.node_count,
    subgraphCount: e.subgraph_count,
    functions: e.functions.map((f) => ({ domain: f.domain, name: f.name, overload: "", inputs: f.inputs, outputs: f.outputs, nodeCount: f.node_count })),
    externalData: e.external_data.map((f) => ({ location: f.location, sizeBytes: f.size_bytes, tensors: f.tensors })),
    sizeBytes: e.size_bytes,
    hash: e.hash,
  };
}

/** A feed for every input: symbolic and unknown dims become 3, values are seeded. */
function feedFor(sig: OnnxSignature, seed: number): Record<string, OrtTensor> {
  const ort = loadOrt();
  const rand = seededRandom(seed);
  const feed: Record<string, OrtTensor> = {};
  for (const input of sig.inputs) {
    const dims = (input.shape ?? []).map((d) => (typeof d === "number" ? d : 3));
    const size = dims.reduce((a, b) => a * b, 1);
    if (input.type === "float32") feed[input.name] = new ort.Tensor("float32", Float32Array.from({ length: size }, rand), dims);
    else if (input.type === "int64") feed[input.name] = new ort.Tensor("int64", BigInt64Array.from({ length: size }, () => 2n), dims);
    else if (input.type === "bool") feed[input.name] = new ort.Tensor("bool", Uint8Array.from({ length: size }, () => 1), dims);
    else throw new Error(`no feed for ${input.type}`);
  }
  return feed;
}

const loadable = Object.keys(expected.models).filter((m) => !m.startsWith("external-escape/"));

describe("real-exporter ONNX fixtures", () => {
  it("were all made by the reference tools", () => {
    expect(expected.generator).toMatch(/^python onnx 1\.\d+\.\d+, torch \d/);
    // Every kind of file the fixtures stand for is there.
    const all = Object.values(expected.models);
    expect(all.some((m) => m.producer_name === "pytorch")).toBe(true);
    expect(all.some((m) => m.subgraph_count > 0 && m.producer_name === "pytorch")).toBe(true);
    expect(all.some((m) => m.functions.length > 0)).toBe(true);
    expect(all.some((m) => m.initializers.sparse_count > 0)).toBe(true);
    expect(all.some((m) => m.external_data.length > 1)).toBe(true);
    expect(all.some((m) => m.opset_import.some((o) => o.domain === "com.microsoft"))).toBe(true);
    for (const t of ["FLOAT16", "BFLOAT16", "INT8"]) expect(all.some((m) => t in m.initializers.types)).toBe(true);
    expect(all.some((m) => m.inputs.some((i) => i.dims?.includes(null)))).toBe(true);
    // onnx's checker (full_check: with shape inference) accepts them all but the sparse one,
    // whose initializer onnx 1.12's shape inference does not see; onnxruntime loads it (below).
    const refused = Object.entries(expected.models).filter(([, m]) => m.checker !== "ok");
    expect(refused.map(([rel, m]) => [rel, m.checker])).toEqual([["helper-sparse-initializer.onnx", "InferenceError"]]);
  });

  it.each(loadable)("%s: every field equals what python onnx reports, and onnxruntime-node loads it", async (rel) => {
    const path = join(REAL_DIR, rel);
    const sig = await inspectOnnx(path);
    expect(sig).toEqual({ ...asSignature(expected.models[rel]!), loaded: true });
  });

  it.each(loadable.filter((m) => expected.models[m]!.external_data.length === 0))(
    "%s: decoding the bytes in memory gives the same signature as decoding the file",
    async (rel) => {
      const path = join(REAL_DIR, rel);
      const fromBytes = await inspectOnnx(readFileSync(path), { load: false });
      expect(fromBytes).toEqual({ ...(await inspectOnnx(path, { load: false })), loaded: false });
      expect(fromBytes).toEqual({ ...asSignature(expected.models[rel]!), loaded: false });
    },
  );

  it.each(loadable)("%s: runs in onnxruntime-node with outputs of the declared names, types and ranks", async (rel) => {
    const path = join(REAL_DIR, rel);
    const sig = await inspectOnnx(path, { load: false });
    const session = await loadOrt().InferenceSession.create(path, { ...SESSION_OPTIONS });
    try {
      const results = await session.run(feedFor(sig, 11));
      expect(Object.keys(results).sort()).toEqual(sig.outputs.map((o) => o.name).sort());
      for (const out of sig.outputs) {
        const t = results[out.name]!;
        expect(t.type).toBe(out.type);
        if (out.shape) expect(t.dims).toHaveLength(out.shape.length);
        for (const v of t.data as Float32Array) expect(Number.isFinite(v)).toBe(true);
      }
    } finally {
      await session.release();
    }
  });
});

describe("withOnnxExport on real-exporter files", () => {
  // One run for every model, as a user exporting several models would have.
  const root = mkdtempSync(join(tmpdir(), "runtrail-real-onnx-"));
  let run: Run;
  beforeAll(async () => {
    run = await init({ artifactsPath: join(root, "run"), handleExit: false });
  });
  afterAll(async () => {
    await run.end();
    setDefaultRun(undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it.each(loadable.map((rel, i) => [rel, i] as const))("%s is validated, run on a sample and logged at step %i", async (rel, step) => {
    const path = join(REAL_DIR, rel);
    const sig = await inspectOnnx(path);
    let record: OnnxExportRecord | undefined;
    // onnxruntime tensors as the feed: they are `{ data, dims }` values.
    const feed = Object.fromEntries(Object.entries(feedFor(sig, 3)).map(([k, t]) => [k, { data: t.data as ArrayLike<number | bigint>, dims: t.dims }]));
    await withOnnxExport(() => path, { run, name: "real", step, sampleInputs: feed, onLogged: (r) => (record = r) })();
    expect(record!.signature).toEqual(sig);
    expect(record!.parity).toMatchObject({ checked: false, samples: 1 });
    const external = sig.externalData.length > 0;
    expect(record!.asset.relPath).toBe(external ? `assets/model/real_${step}` : `assets/model/real_${step}.onnx`);
    expect(existsSync(external ? join(record!.asset.path, "model.onnx") : record!.asset.path)).toBe(true);
  });
});

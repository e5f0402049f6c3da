import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ArtifactNotFoundError } from "../../src/core/errors.js";
import { inspectOnnx, OnnxValidationError } from "../../src/adapters/onnx.js";
import { buildLinearRelu } from "../fixtures/onnx-builder.js";

const dir = mkdtempSync(join(tmpdir(), "runtrail-onnx-inspect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("inspectOnnx", () => {
  const model = buildLinearRelu({
    producerName: "acme-exporter",
    producerVersion: "9.8.7",
    metadataProps: { author: "ada", "runtrail.note": "première" },
    opsets: [
      { domain: "", version: 13 },
      { domain: "ai.onnx.ml", version: 3 },
    ],
    docString: "a tiny test model",
    modelVersion: 42,
    domain: "org.example",
    batchDim: "batch",
  });

  it("reads the signature and metadata of a model loaded by onnxruntime-node", async () => {
    const sig = await inspectOnnx(model.bytes);
    expect(sig).toEqual({
      irVersion: 8,
      opsets: [
        { domain: "", version: 13 },
        { domain: "ai.onnx.ml", version: 3 },
      ],
      producer: { name: "acme-exporter", version: "9.8.7" },
      domain: "org.example",
      modelVersion: 42,
      docString: "a tiny test model",
      graphName: "linear_relu",
      inputs: [{ name: "X", type: "float32", shape: ["batch", 4] }],
      outputs: [{ name: "Y", type: "float32", shape: ["batch", 3] }],
      metadataProps: { author: "ada", "runtrail.note": "première" },
      initializers: { count: 2, sparseCount: 0, elements: 4 * 3 + 3, types: { float32: 2 } },
      operators: { MatMul: 1, Add: 1, Relu: 1 },
      nodeCount: 3,
      subgraphCount: 0,
      functions: [],
      externalData: [],
      sizeBytes: model.bytes.byteLength,
      hash: createHash("md5").update(model.bytes).digest("hex").slice(0, 12),
      loaded: true,
    });
  });

  it("reads a model from a path, with Polyaxon's hash_file value", async () => {
    const path = join(dir, "model.onnx");
    writeFileSync(path, model.bytes);
    const sig = await inspectOnnx(path);
    expect(sig.inputs[0]).toEqual({ name: "X", type: "float32", shape: ["batch", 4] });
    expect(sig.hash).toBe(createHash("md5").update(model.bytes).digest("hex").slice(0, 12));
    expect(sig.sizeBytes).toBe(model.bytes.byteLength);
  });

  it("leaves initializers listed as inputs (IR < 4 convention) out of the inputs", async () => {
    const sig = await inspectOnnx(buildLinearRelu({ irVersion: 3, initializersAsInputs: true }).bytes);
    expect(sig.inputs.map((i) => i.name)).toEqual(["X"]);
  });

  it("lists several outputs in graph order", async () => {
    const sig = await inspectOnnx(buildLinearRelu({ secondOutput: true }).bytes);
    expect(sig.outputs.map((o) => o.name)).toEqual(["Y", "Z"]);
  });

  it("decodes without onnxruntime when load is false", async () => {
    const sig = await inspectOnnx(model.bytes, { load: false });
    expect(sig.loaded).toBe(false);
    expect(sig.producer.name).toBe("acme-exporter");
  });

  it("accepts an ArrayBuffer and a Buffer", async () => {
    const copy = model.bytes.slice();
    expect((await inspectOnnx(copy.buffer)).graphName).toBe("linear_relu");
    expect((await inspectOnnx(Buffer.from(copy))).graphName).toBe("linear_relu");
  });

  it("rejects bytes that are not a model with OnnxValidationError", async () => {
    const text = new TextEncoder().encode("this is definitely not an onnx model\n");
    const err = await inspectOnnx(text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxValidationError);
    expect(err).toMatchObject({ code: "RUNTRAIL_ONNX_INVALID", value: `<${text.byteLength} bytes>` });
    expect((err as Error).cause).toBeDefined();
    await expect(inspectOnnx(new Uint8Array(0))).rejects.toThrow(/not a valid ONNX model: the data is empty/);
  });

  it.each([0.25, 0.5, 0.9, 0.99])("rejects a file truncated to %s of its length", async (fraction) => {
    const path = join(dir, `truncated-${fraction}.onnx`);
    writeFileSync(path, model.bytes.subarray(0, Math.floor(model.bytes.length * fraction)));
    const err = await inspectOnnx(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxValidationError);
    expect((err as OnnxValidationError).value).toBe(path);
    expect((err as Error).message).toContain(path);
  });

  it("reports a model onnxruntime refuses to load, with onnxruntime's error as cause", async () => {
    const bytes = buildLinearRelu({ activationOp: "NoSuchOperator" }).bytes;
    expect((await inspectOnnx(bytes, { load: false })).inputs).toHaveLength(1);
    const err = await inspectOnnx(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxValidationError);
    expect((err as Error).message).toMatch(/onnxruntime-node could not load .*NoSuchOperator/s);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it("names a missing file", async () => {
    await expect(inspectOnnx(join(dir, "missing.onnx"))).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it("refuses a folder given as the model with ArtifactNotFoundError", async () => {
    await expect(inspectOnnx(dir)).rejects.toThrow(ArtifactNotFoundError);
    await expect(inspectOnnx(dir)).rejects.toThrow(/is not a file/);
  });

  it("loads onnxruntime-node only when a session is needed (lazy optional peer)", () => {
    const script = join(dir, "lazy.mts");
    writeFileSync(
      script,
      [
        'import { createRequire } from "node:module";',
        "const req = createRequire(import.meta.url);",
        'const loaded = () => Object.keys(req.cache).some((k) => k.includes("onnxruntime-node"));',
        "const mod = await import(process.argv[2]);",
        "const bytes = Uint8Array.from(JSON.parse(process.argv[3]));",
        "const seen = [loaded()];",
        "await mod.inspectOnnx(bytes, { load: false });",
        "seen.push(loaded());",
        "await mod.inspectOnnx(bytes);",
        "seen.push(loaded());",
        "console.log(JSON.stringify(seen));",
      ].join("\n"),
    );
    const entry = resolve("src/adapters/onnx.ts");
    const out = execFileSync(process.execPath, ["--import", "tsx", script, entry, JSON.stringify([...model.bytes])], { encoding: "utf8" });
    expect(JSON.parse(out.trim())).toEqual([false, false, true]);
  }, 60_000);

  it("without onnxruntime-node installed, loading is a MissingPeerDependencyError naming the install command", () => {
    // A child process where resolving "onnxruntime-node" fails exactly as it does when the package is absent.
    const script = join(dir, "no-peer.mts");
    writeFileSync(
      script,
      [
        'import Module from "node:module";',
        "const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };",
        "const original = M._resolveFilename;",
        "M._resolveFilename = function (req: string, ...rest: unknown[]) {",
        '  if (req === "onnxruntime-node") throw Object.assign(new Error(`Cannot find module \'${req}\'`), { code: "MODULE_NOT_FOUND" });',
        "  return original.call(this, req, ...rest);",
        "};",
        "const mod = await import(process.argv[2]);",
        "const bytes = Uint8Array.from(JSON.parse(process.argv[3]));",
        "const decoded = await mod.inspectOnnx(bytes, { load: false });",
        "const err = await mod.inspectOnnx(bytes).catch((e: any) => e);",
        "console.log(JSON.stringify({ producer: decoded.producer.name, name: err.name, code: err.code, message: err.message }));",
      ].join("\n"),
    );
    const out = execFileSync(process.execPath, ["--import", "tsx", script, resolve("src/adapters/onnx.ts"), JSON.stringify([...model.bytes])], {
      encoding: "utf8",
    });
    const result = JSON.parse(out.trim());
    expect(result).toMatchObject({ producer: "acme-exporter", name: "MissingPeerDependencyError", code: "RUNTRAIL_MISSING_PEER" });
    expect(result.message).toContain("npm install onnxruntime-node");
  }, 60_000);
});

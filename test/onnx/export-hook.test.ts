import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OnnxParityError, OnnxValidationError, withOnnxExport, type OnnxExportRecord } from "../../src/adapters/onnx.js";
import { setDefaultRun } from "../../src/core/tracking.js";
import { init, InvalidValueError, loadRun, NoActiveRunError, readEvents, RunEndedError, type Run } from "../../src/index.js";
import { buildLinearRelu, randomInputs } from "../fixtures/onnx-builder.js";
import { useTmp } from "../helpers/tmp.js";

const md5 = (b: Uint8Array): string => createHash("md5").update(b).digest("hex").slice(0, 12);
const model = buildLinearRelu({ producerName: "acme", producerVersion: "2.0", metadataProps: { task: "demo" } });
const x = randomInputs(model, 4, 9);

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe("withOnnxExport", () => {
  const tmp = useTmp();
  let run: Run | undefined;
  const start = async (): Promise<Run> => {
    run = await init({ artifactsPath: join(tmp(), "run"), handleExit: false });
    return run;
  };
  afterEach(async () => {
    await run?.end();
    run = undefined;
    setDefaultRun(undefined);
  });

  it("logs returned bytes under outputs/model/ with the signature, metadata and parity in the lineage", async () => {
    const run = await start();
    let record: OnnxExportRecord | undefined;
    const exportModel = withOnnxExport((scale: number) => (scale === 2 ? model.bytes : new Uint8Array()), {
      run,
      name: "linear relu",
      sampleInputs: { X: x },
      reference: { Y: model.compute(x, 4) },
      summary: { sourceCheckpoint: { name: "classifier", step: 3 } },
      onLogged: (r) => (record = r),
    });
    const returned = await exportModel(2);
    expect(returned).toBe(model.bytes);
    await run.flush();

    const file = join(run.artifactsPath, "outputs/model/linear-relu.onnx");
    expect(readFileSync(file)).toEqual(Buffer.from(model.bytes));
    expect(record?.asset.path).toBe(file);
    const { lineage } = await loadRun(run.artifactsPath);
    const rec = lineage.find((r) => r.name === "linear-relu");
    expect(rec).toMatchObject({ kind: "model", path: "outputs/model/linear-relu.onnx", is_input: false });
    expect(rec!.summary).toMatchObject({
      framework: "onnx",
      sourceCheckpoint: { name: "classifier", step: 3 },
      signature: {
        inputs: [{ name: "X", type: "float32", shape: ["N", 4] }],
        outputs: [{ name: "Y", type: "float32", shape: ["N", 3] }],
      },
      opsets: [{ domain: "", version: 13 }],
      producer: { name: "acme", version: "2.0" },
      irVersion: 8,
      metadataProps: { task: "demo" },
      sizeBytes: model.bytes.byteLength,
      hash: md5(model.bytes),
      validated: true,
      parity: { checked: true, tolerance: 1e-4, samples: 1 },
    });
    expect((rec!.summary as { parity: { maxAbsDiff: number } }).parity.maxAbsDiff).toBeLessThan(1e-5);
    expect(existsSync(join(run.artifactsPath, ".runtrail/tmp")) ? readdirSync(join(run.artifactsPath, ".runtrail/tmp")) : []).toEqual([]);
  });

  it("with a step, writes the versioned copy assets/model/<name>_<step>.onnx and an event row", async () => {
    const run = await start();
    const exportModel = withOnnxExport(async () => model.bytes, { run, name: "clf", step: 5 });
    await exportModel();
    await withOnnxExport(async () => model.bytes, { run, name: "clf", step: 6 })();
    await run.flush();

    for (const step of [5, 6]) expect(readFileSync(join(run.artifactsPath, `assets/model/clf_${step}.onnx`))).toEqual(Buffer.from(model.bytes));
    const rows = await readEvents(run.artifactsPath, "model", "clf");
    expect(rows.map((r) => r.step)).toEqual([5, 6]);
    expect(rows[0]!.value).toMatchObject({ framework: "onnx", path: "assets/model/clf_5.onnx" });
    await run.end();
    const { lineage } = await loadRun(run.artifactsPath);
    const stream = lineage.find((r) => r.name === "clf");
    expect(stream!.summary).toMatchObject({
      framework: "onnx",
      latest: { step: 6, path: "assets/model/clf_6.onnx", summary: { signature: { inputs: [{ name: "X", shape: ["N", 4] }] }, hash: md5(model.bytes) } },
    });
  });

  it("copies a returned path (the user's file stays) and returns the path", async () => {
    const run = await start();
    const src = join(tmp(), "exported.onnx");
    writeFileSync(src, model.bytes);
    const out = await withOnnxExport(() => src, { run, name: "from-path" })();
    expect(out).toBe(src);
    expect(existsSync(src)).toBe(true);
    expect(readFileSync(join(run.artifactsPath, "outputs/model/exported.onnx"))).toEqual(Buffer.from(model.bytes));
  });

  it("reads options.path when the export function writes it and returns nothing", async () => {
    const run = await start();
    const target = join(tmp(), "written.onnx");
    const exportModel = withOnnxExport(
      async (dest: string) => {
        writeFileSync(dest, model.bytes);
      },
      { run, name: "written", path: target, step: 1 },
    );
    expect(await exportModel(target)).toBeUndefined();
    expect(existsSync(target)).toBe(true);
    expect(statSync(join(run.artifactsPath, "assets/model/written_1.onnx")).size).toBe(model.bytes.byteLength);
  });

  it("names a versioned copy .onnx even when the exported file has another extension", async () => {
    const run = await start();
    const src = join(tmp(), "model.bin");
    writeFileSync(src, model.bytes);
    await withOnnxExport(() => src, { run, name: "bin", step: 2 })();
    expect(existsSync(join(run.artifactsPath, "assets/model/bin_2.onnx"))).toBe(true);
    expect(readdirSync(join(run.artifactsPath, ".runtrail/tmp"))).toEqual([]);
  });

  it("logs to the default run when no run is given", async () => {
    const run = await start();
    await withOnnxExport(() => model.bytes, { name: "default-run" })();
    expect(existsSync(join(run.artifactsPath, "outputs/model/default-run.onnx"))).toBe(true);
  });

  it("with validate: false only decodes the metadata", async () => {
    const run = await start();
    let record: OnnxExportRecord | undefined;
    await withOnnxExport(() => buildLinearRelu({ activationOp: "NoSuchOperator" }).bytes, { run, name: "unchecked", validate: false, onLogged: (r) => (record = r) })();
    expect(record?.summary).toMatchObject({ validated: false, parity: { checked: false, samples: 0 } });
  });

  describe("a broken export logs nothing and leaves nothing in the run", () => {
    const truncatedFile = (): string => {
      const p = join(tmp(), "truncated.onnx");
      writeFileSync(p, model.bytes.subarray(0, model.bytes.length - 40));
      return p;
    };
    const cases: Array<[string, () => Parameters<typeof withOnnxExport>[0], Record<string, unknown>, new (...a: never[]) => Error]> = [
      ["bad bytes", () => () => new TextEncoder().encode("not a model at all"), {}, OnnxValidationError],
      ["a truncated file", () => { const p = truncatedFile(); return () => p; }, {}, OnnxValidationError],
      ["truncated bytes with a step", () => () => model.bytes.subarray(0, 100), { step: 3 }, OnnxValidationError],
      ["a model onnxruntime refuses", () => () => buildLinearRelu({ activationOp: "NoSuchOperator" }).bytes, {}, OnnxValidationError],
      ["failed parity", () => () => model.bytes, { sampleInputs: { X: x }, reference: { Y: new Float32Array(12).fill(9) } }, OnnxParityError],
      ["failed parity with a step", () => () => model.bytes, { step: 1, sampleInputs: { X: x }, reference: () => ({ Y: new Float32Array(12).fill(9) }) }, OnnxParityError],
    ];

    it.each(cases)("%s", async (_what, makeFn, extra, ErrorClass) => {
      const run = await start();
      await run.flush();
      const before = listFiles(run.artifactsPath);
      const lineageBefore = (await loadRun(run.artifactsPath)).lineage;
      const err = await withOnnxExport(makeFn(), { run, name: "broken", ...extra })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ErrorClass);
      expect((err as { code: string }).code).toMatch(/^RUNTRAIL_ONNX_/);
      await run.flush();
      expect(listFiles(run.artifactsPath)).toEqual(before);
      expect((await loadRun(run.artifactsPath)).lineage).toEqual(lineageBefore);
    });
  });

  it("checks its options when wrapping and needs a run when called", async () => {
    const fn = () => model.bytes;
    expect(() => withOnnxExport(fn, { name: "" })).toThrow(/name/);
    expect(() => withOnnxExport(fn, { name: "m", step: -1 })).toThrow(InvalidValueError);
    expect(() => withOnnxExport(fn, { name: "m", reference: { Y: [] } })).toThrow(/sampleInputs/);
    expect(() => withOnnxExport(fn, { name: "m", validate: false, sampleInputs: { X: x } })).toThrow(InvalidValueError);
    expect(() => withOnnxExport(fn, { name: "m", tolerance: Number.NaN })).toThrow(InvalidValueError);
    expect(() => withOnnxExport(fn, { name: "m", summary: "oops" as unknown as Record<string, unknown> })).toThrow(/plain object/);
    let called = false;
    await expect(withOnnxExport(() => ((called = true), model.bytes), { name: "m" })()).rejects.toBeInstanceOf(NoActiveRunError);
    expect(called).toBe(false);
    const run = await start();
    await expect(withOnnxExport(() => 42 as unknown as string, { run, name: "m" })()).rejects.toBeInstanceOf(InvalidValueError);
    await expect(withOnnxExport(() => undefined, { run, name: "m" })()).rejects.toThrow(/path/);
    await run.end();
    called = false;
    await expect(withOnnxExport(() => ((called = true), model.bytes), { run, name: "m" })()).rejects.toBeInstanceOf(RunEndedError);
    expect(called).toBe(false);
  });
});

// Models that keep their weights in external data files (onnx.save_model(save_as_external_data=True)):
// inspected, refused when a file is missing, truncated or outside the model's folder, and logged by
// withOnnxExport as a folder asset that onnxruntime-node loads back from the run.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inspectOnnx, OnnxValidationError, withOnnxExport } from "../../src/adapters/onnx.js";
import { loadOrt, SESSION_OPTIONS, type OrtTensor } from "../../src/adapters/onnx/ort.js";
import { hashDir } from "../../src/core/fsutil.js";
import { setDefaultRun } from "../../src/core/tracking.js";
import { init, loadRun, readEvents, type Run } from "../../src/index.js";
import { seededRandom } from "../fixtures/onnx-builder.js";
import { useTmp } from "../helpers/tmp.js";
import { expected, REAL_DIR } from "../fixtures/onnx-real.js";

const ONE_FILE = "external-one-file";
const PER_TENSOR = "external-per-tensor";

/** A copy of a fixture folder (model + data files) in `tmp`, to break without touching the fixture. */
function copyFixture(tmp: string, folder: string): string {
  const dest = join(tmp, folder);
  cpSync(join(REAL_DIR, folder), dest, { recursive: true });
  return join(dest, "model.onnx");
}

function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Runs the model at `path` on a fixed `X` of 3 rows and returns `Y`. */
async function predict(path: string): Promise<Float32Array> {
  const ort = loadOrt();
  const rand = seededRandom(5);
  const session = await ort.InferenceSession.create(path, { ...SESSION_OPTIONS });
  try {
    const out: Record<string, OrtTensor> = await session.run({ X: new ort.Tensor("float32", Float32Array.from({ length: 12 }, rand), [3, 4]) });
    return out.Y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe("external data in inspectOnnx", () => {
  const tmp = useTmp();

  it("lists the data files with their sizes; size and hash cover them", async () => {
    const sig = await inspectOnnx(join(REAL_DIR, PER_TENSOR, "model.onnx"));
    expect(sig.externalData).toEqual([
      { location: "fc1.weight", sizeBytes: 256, tensors: 1 },
      { location: "fc1.bias", sizeBytes: 64, tensors: 1 },
      { location: "fc2.weight", sizeBytes: 128, tensors: 1 },
    ]);
    const modelOnly = readFileSync(join(REAL_DIR, PER_TENSOR, "model.onnx")).byteLength;
    expect(sig.sizeBytes).toBe(modelOnly + 256 + 64 + 128);
    // The folder holds exactly the model and its data: its hash_dir is the model's hash.
    expect(sig.hash).toBe(await hashDir(join(REAL_DIR, PER_TENSOR)));
  });

  it("a missing data file is an OnnxValidationError naming it, before onnxruntime is asked", async () => {
    const model = copyFixture(tmp(), ONE_FILE);
    rmSync(join(model, "..", "data", "weights.bin"));
    for (const load of [true, false]) {
      const err = await inspectOnnx(model, { load }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OnnxValidationError);
      expect((err as Error).message).toContain('external file "data/weights.bin"');
      expect((err as OnnxValidationError).value).toBe(join(model, "..", "data", "weights.bin"));
    }
  });

  it("a data file shorter than its tensors need is an OnnxValidationError naming the tensor", async () => {
    const model = copyFixture(tmp(), ONE_FILE);
    truncateSync(join(model, "..", "data", "weights.bin"), 100);
    const err = await inspectOnnx(model).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxValidationError);
    expect((err as Error).message).toMatch(/"data\/weights\.bin" has 100 bytes but tensor "fc2\.weight" needs bytes up to 448/);
  });

  it("refuses a location outside the model's folder even when the file exists there", async () => {
    const model = join(REAL_DIR, "external-escape", "model.onnx");
    expect(existsSync(join(REAL_DIR, "outside.bin"))).toBe(true);
    expect(expected.models["external-escape/model.onnx"]!.external_data[0]!.location).toBe("../outside.bin");
    for (const load of [true, false]) {
      const err = await inspectOnnx(model, { load }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OnnxValidationError);
      expect((err as Error).message).toMatch(/keeps its data at "\.\.\/outside\.bin", outside the model's folder/);
    }
    // Bytes alone: the location is refused the same way, nothing is looked up.
    await expect(inspectOnnx(readFileSync(model), { load: false })).rejects.toThrow(/outside the model's folder/);
  });

  it("from bytes: decodes with load:false (sizes unknown), and asks for the path when loading", async () => {
    const bytes = readFileSync(join(REAL_DIR, ONE_FILE, "model.onnx"));
    const sig = await inspectOnnx(bytes, { load: false });
    expect(sig.externalData).toEqual([{ location: "data/weights.bin", sizeBytes: null, tensors: 3 }]);
    const err = await inspectOnnx(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxValidationError);
    expect((err as Error).message).toMatch(/external files \(data\/weights\.bin\).*pass the model's path/);
  });
});

describe("withOnnxExport with external data", () => {
  const tmp = useTmp();
  let run: Run | undefined;
  afterEach(async () => {
    await run?.end();
    run = undefined;
    setDefaultRun(undefined);
  });

  it("logs a versioned folder with the model and its data files, hashed together, that onnxruntime reloads from the run", async () => {
    run = await init({ artifactsPath: join(tmp(), "run"), handleExit: false });
    const source = join(REAL_DIR, ONE_FILE, "model.onnx");
    const exportModel = withOnnxExport(() => source, { run, name: "mlp", step: 3 });
    expect(await exportModel()).toBe(source);
    await run.flush();

    const folder = join(run.artifactsPath, "assets/model/mlp_3");
    expect(listFiles(folder)).toEqual(["data/weights.bin", "model.onnx"]);
    expect(readFileSync(join(folder, "data/weights.bin"))).toEqual(readFileSync(join(REAL_DIR, ONE_FILE, "data/weights.bin")));
    // Reloaded from the run's asset folder, it computes what the exported model computes.
    expect(await predict(join(folder, "model.onnx"))).toEqual(await predict(source));

    const { lineage } = await loadRun(run.artifactsPath);
    const rec = lineage.find((r) => r.name === "mlp");
    const hash = await hashDir(folder);
    expect(rec!.summary).toMatchObject({
      latest: { step: 3, path: "assets/model/mlp_3", hash, summary: { hash, externalData: [{ location: "data/weights.bin", sizeBytes: 448, tensors: 3 }] } },
    });
    expect(hash).toBe(expected.models[`${ONE_FILE}/model.onnx`]!.hash);
    const events = await readEvents(run.artifactsPath, "model", "mlp");
    expect(events.map((e) => [e.step, e.value])).toEqual([[3, expect.objectContaining({ framework: "onnx", path: "assets/model/mlp_3" })]]);
  });

  it("logs a non-versioned folder under outputs/model/<name>/ and leaves the source files in place", async () => {
    run = await init({ artifactsPath: join(tmp(), "run"), handleExit: false });
    const source = copyFixture(tmp(), PER_TENSOR);
    await withOnnxExport(() => undefined, { run, name: "per tensor", path: source })();
    const folder = join(run.artifactsPath, "outputs/model/per-tensor");
    expect(listFiles(folder)).toEqual(["fc1.bias", "fc1.weight", "fc2.weight", "model.onnx"]);
    expect(listFiles(join(source, ".."))).toEqual(["fc1.bias", "fc1.weight", "fc2.weight", "model.onnx"]);
    expect(await predict(join(folder, "model.onnx"))).toEqual(await predict(source));
  });

  it("a missing data file fails the export and logs nothing", async () => {
    run = await init({ artifactsPath: join(tmp(), "run"), handleExit: false });
    const source = copyFixture(tmp(), PER_TENSOR);
    rmSync(join(source, "..", "fc1.bias"));
    await expect(withOnnxExport(() => source, { run, name: "broken", step: 1 })()).rejects.toThrow(/external file "fc1\.bias"/);
    await run.flush();
    const models = join(run.artifactsPath, "assets/model");
    expect(existsSync(models) ? listFiles(models) : []).toEqual([]);
    const { lineage } = await loadRun(run.artifactsPath);
    expect(lineage.find((r) => r.name === "broken")).toBeUndefined();
  });

  it("bytes of an external-data model are refused, validated or not, and nothing is logged", async () => {
    run = await init({ artifactsPath: join(tmp(), "run"), handleExit: false });
    const bytes = readFileSync(join(REAL_DIR, ONE_FILE, "model.onnx"));
    for (const validate of [true, false]) {
      const err = await withOnnxExport(() => bytes, { run, name: "bytes", validate })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OnnxValidationError);
      expect((err as Error).message).toMatch(/external files \(data\/weights\.bin\)/);
    }
    expect(existsSync(join(run.artifactsPath, "outputs/model")) ? listFiles(join(run.artifactsPath, "outputs/model")) : []).toEqual([]);
  });
});

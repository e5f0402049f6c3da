import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArtifactNotFoundError, init, InvalidValueError, loadRun, readEvents } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";

const md5 = (b: string | Buffer): string => createHash("md5").update(b).digest("hex").slice(0, 12);

describe("versioned assets (logArtifact / logModel with a step)", () => {
  const tmp = useTmp();

  it("copies to assets/<kind>/<name>_<step>[.<ext>] and appends one event row per call", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false });
    const src = join(dir, "file.tar.gz");
    writeFileSync(src, "v1");
    await run.logArtifact({ path: src, step: 1 });
    writeFileSync(src, "v2");
    await run.logArtifact({ path: src, step: 2, kind: "tsv", name: "table" });
    const model = join(dir, "weights.H5");
    writeFileSync(model, "m1");
    await run.logModel({ path: model, step: 3, framework: "tensorflow", summary: { acc: 0.9 } });
    await run.end();
    const p = run.artifactsPath;

    expect(readFileSync(join(p, "assets/file/file_1.tar.gz"), "utf8")).toBe("v1");
    expect(readFileSync(join(p, "assets/tsv/table_2.tar.gz"), "utf8")).toBe("v2");
    expect(readFileSync(join(p, "assets/model/weights_3.h5"), "utf8")).toBe("m1");
    expect(existsSync(src)).toBe(true); // versioned assets are copies
    expect((await readEvents(p, "file", "file"))[0]!.value).toEqual({ kind: "file", path: "assets/file/file_1.tar.gz" });
    expect(readFileSync(join(p, "events/tsv/table.plx"), "utf8").split("\n")[0]).toBe("step|timestamp|tsv");
    const [m] = await readEvents(p, "model", "weights");
    expect(m!.step).toBe(3);
    expect(m!.value).toEqual({ framework: "tensorflow", path: "assets/model/weights_3.h5", spec: { acc: 0.9 } });
  });

  it("keeps no extension for folders and records framework, latest and its hash in lineage", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false });
    const ckpt = join(dir, "ckpt.d");
    mkdirSync(ckpt);
    writeFileSync(join(ckpt, "a.bin"), "A");
    writeFileSync(join(ckpt, "b.bin"), "B");
    await run.logModel({ path: ckpt, name: "net", step: 0, framework: "tfjs" });
    await run.logModel({ path: ckpt, name: "net", step: 5, framework: "tfjs" });
    await run.flush();
    expect(readdirSync(join(run.artifactsPath, "assets/model")).sort()).toEqual(["net_0", "net_5"]);
    const rec = (await loadRun(run.artifactsPath)).lineage.find((r) => r.name === "net")!;
    expect(rec.kind).toBe("model");
    expect(rec.path).toBe("events/model/net.plx");
    expect(rec.summary).toMatchObject({
      is_event: true,
      step: { count: 2, min: 0, max: 5 },
      framework: "tfjs",
      latest: { step: 5, path: "assets/model/net_5", hash: md5("AB") },
    });
    await run.end();
  });
});

describe("non-versioned assets move into outputs/", () => {
  const tmp = useTmp();

  it("logModel moves to outputs/model/<basename> and records framework, absolute path and hash", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false });
    const src = join(dir, "model.onnx");
    writeFileSync(src, "onnx-bytes");
    const res = await run.logModel({ path: src, framework: "onnx", summary: { note: "x" } });
    expect(existsSync(src)).toBe(false);
    expect(res.relPath).toBe("outputs/model/model.onnx");
    const rec = (await loadRun(run.artifactsPath)).lineage.find((r) => r.name === "model")!;
    expect(rec).toEqual({
      name: "model",
      kind: "model",
      path: "outputs/model/model.onnx",
      summary: { note: "x", framework: "onnx", path: join(run.artifactsPath, "outputs/model/model.onnx"), hash: md5("onnx-bytes") },
      is_input: false,
    });
    await run.end();
  });

  it("logArtifact honours relPath and copy, and moves folders", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false });
    const f = join(dir, "data.csv");
    writeFileSync(f, "a,b");
    await run.logArtifact({ path: f, relPath: "tables", copy: true });
    expect(existsSync(f)).toBe(true);
    expect(readFileSync(join(run.artifactsPath, "outputs/tables/data.csv"), "utf8")).toBe("a,b");
    const d = join(dir, "plots");
    mkdirSync(d);
    writeFileSync(join(d, "p.svg"), "<svg/>");
    await run.logArtifact({ path: d, kind: "dir", step: 4, versioned: false });
    expect(existsSync(d)).toBe(false);
    expect(existsSync(join(run.artifactsPath, "outputs/plots/p.svg"))).toBe(true);
    const lineage = (await loadRun(run.artifactsPath)).lineage;
    expect(lineage.find((r) => r.name === "data")).toMatchObject({ kind: "file", path: "outputs/tables/data.csv" });
    expect(lineage.find((r) => r.name === "plots")).toMatchObject({ kind: "dir", path: "outputs/plots" });
    await run.end();
  });
});

describe("saveModel", () => {
  const tmp = useTmp();

  it("gives write() an empty folder inside the run and commits it by rename", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    let seen = "";
    const res = await run.saveModel({
      name: "ckpt",
      step: 7,
      framework: "tfjs",
      summary: { epoch: 7 },
      write: async (d) => {
        seen = d;
        expect(readdirSync(d)).toEqual([]);
        writeFileSync(join(d, "model.json"), "{}");
      },
    });
    expect(seen.startsWith(join(run.artifactsPath, ".runtrail", "staging"))).toBe(true);
    expect(existsSync(seen)).toBe(false);
    expect(res.path).toBe(join(run.artifactsPath, "assets/model/ckpt_7"));
    expect(readFileSync(join(res.path, "model.json"), "utf8")).toBe("{}");
    await run.end();
  });

  it("a failing write() leaves no version, no event row and no staging folder", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    await expect(
      run.saveModel({
        name: "ckpt",
        step: 1,
        framework: "tfjs",
        write: async (d) => {
          writeFileSync(join(d, "half"), "x");
          throw new Error("disk on fire");
        },
      }),
    ).rejects.toThrow("disk on fire");
    expect(existsSync(join(run.artifactsPath, "assets/model/ckpt_1"))).toBe(false);
    expect(existsSync(join(run.artifactsPath, "events/model/ckpt.plx"))).toBe(false);
    expect(readdirSync(join(run.artifactsPath, ".runtrail/staging"))).toEqual([]);
    await run.end();
  });
});

describe("references", () => {
  const tmp = useTmp();

  it("never touch the file, hash local files and keep outside paths and URIs as given", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false });
    const f = join(dir, "train.csv");
    writeFileSync(f, "x");
    await run.logArtifactRef({ path: f, isInput: true });
    await run.logModelRef({ path: "s3://bucket/models/resnet.onnx", framework: "onnx" });
    await run.logArtifactRef({ path: "/mnt/other-disk/data", kind: "dir", hash: "abc" });
    expect(readFileSync(f, "utf8")).toBe("x");
    const lineage = (await loadRun(run.artifactsPath)).lineage;
    expect(lineage.find((r) => r.name === "train")).toEqual({
      name: "train",
      kind: "file",
      path: f,
      summary: { path: f, hash: md5("x") },
      is_input: true,
    });
    expect(lineage.find((r) => r.name === "resnet")).toEqual({
      name: "resnet",
      kind: "model",
      path: "s3://bucket/models/resnet.onnx",
      summary: { framework: "onnx", path: "s3://bucket/models/resnet.onnx" },
      is_input: false,
    });
    expect(lineage.find((r) => r.name === "data")).toMatchObject({ path: "/mnt/other-disk/data", summary: { hash: "abc" } });
    await run.end();
  });

  it("keep a reference and an event stream of the same name apart", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false });
    const f = join(dir, "m.bin");
    writeFileSync(f, "1");
    await run.logModel({ path: f, step: 1, framework: "onnx" });
    await run.logModel({ path: f, framework: "onnx" });
    await run.end();
    // Names are unique (Polyaxon keys lineage by name): the stream yields to the reference.
    const models = (await loadRun(run.artifactsPath)).lineage.filter((r) => r.kind === "model");
    expect(models.map((r) => [r.name, r.path]).sort()).toEqual([
      ["m", "outputs/model/m.bin"],
      ["m-model", "events/model/m.plx"],
    ]);
  });

  it("missing files and unknown kinds are named errors", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    await expect(run.logArtifact({ path: "/nope/missing.bin" })).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(run.logArtifactRef({ path: "x", kind: "banana" as never })).rejects.toBeInstanceOf(InvalidValueError);
    await run.end();
  });
});

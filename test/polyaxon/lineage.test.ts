import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init, loadRun, LineageNameConflictError, parseEvents, prunedVersions, readEvents, readPrunedVersions, type V1RunArtifact } from "../../src/index.js";
import { CheckpointManager } from "../../src/core/checkpoints.js";
import { InvalidValueError } from "../../src/core/errors.js";
import { ProgressThrottle } from "../../src/core/meta-calls.js";
import { useTmp } from "../helpers/tmp.js";
import { makePng } from "../helpers/png.js";

/** What Polyaxon's client does with the file: `{a.name: a for a in artifacts}` (`_cache_offline_artifact_lineage`). */
function asPolyaxonDict(runPath: string): { records: V1RunArtifact[]; byName: Map<string, V1RunArtifact> } {
  const records = JSON.parse(readFileSync(join(runPath, "lineages.plx.json"), "utf8")) as V1RunArtifact[];
  const byName = new Map<string, V1RunArtifact>();
  for (const r of records) byName.set(r.name!, r);
  return { records, byName };
}

describe("lineage names survive Polyaxon's dict keyed by name", () => {
  const tmp = useTmp();

  it("a busy run: every record is found by name", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false });
    const src = join(dir, "model.bin");
    writeFileSync(src, "weights");
    const data = join(dir, "data.csv");
    writeFileSync(data, "a,b\n1,2\n");
    for (let step = 0; step < 3; step++) run.logMetrics({ loss: 1 / (step + 1), "val/acc": step / 3 }, { step });
    await run.logImage("loss", makePng(2, () => [9, 9, 9]), { step: 1 });
    run.logCurve("loss", [0, 1], [1, 0], { step: 2 });
    run.logText("notes", "text");
    run.logHtml("notes", "<p>html</p>");
    await run.logModel({ path: src, name: "model", framework: "onnx", step: 1 });
    await run.logModel({ path: src, name: "model", framework: "onnx", step: 2 });
    await run.logModel({ path: src, name: "model", framework: "onnx", copy: true });
    await run.logArtifact({ path: data, name: "data", kind: "csv", step: 1 });
    await run.logDataRef({ name: "data", content: "a,b\n1,2\n" });
    await run.logFileRef({ path: data, name: "model-model" }); // takes the name a stream would get: it moves on
    run.getTensorboardPath();
    await run.end();

    const { records, byName } = asPolyaxonDict(run.artifactsPath);
    expect(byName.size).toBe(records.length);
    for (const r of records) expect(byName.get(r.name!)).toBe(r);
    const find = (kind: string, path: string): V1RunArtifact | undefined => records.find((r) => r.kind === kind && r.path === path);
    // Every stream and every reference is there, each under its own name.
    for (const [kind, path] of [
      ["metric", "events/metric/loss.plx"],
      ["metric", "events/metric/val__acc.plx"],
      ["image", "events/image/loss.plx"],
      ["curve", "events/curve/loss.plx"],
      ["text", "events/text/notes.plx"],
      ["html", "events/html/notes.plx"],
      ["model", "events/model/model.plx"],
      ["model", "outputs/model/model.bin"],
      ["csv", "events/csv/data.plx"],
      ["tensorboard", "outputs/tensorboard"],
    ] as const) {
      expect(find(kind, path), `${kind} ${path}`).toBeDefined();
    }
    expect(find("metric", "events/metric/loss.plx")!.name).toBe("loss"); // metrics come first among streams
    expect(find("image", "events/image/loss.plx")!.name).toBe("loss-image");
    expect(find("curve", "events/curve/loss.plx")!.name).toBe("loss-curve");
    expect(find("model", "outputs/model/model.bin")!.name).toBe("model"); // a reference keeps its name
    expect(find("model", "events/model/model.plx")!.name).toBe("model-model-2"); // "model-model" is a reference's
    expect(find("csv", "events/csv/data.plx")!.name).toBe("data-csv");
    expect(records.find((r) => r.kind === "data")!.name).toBe("data");
    // The versioned stream still carries runtrail's keys under its new name.
    expect(find("model", "events/model/model.plx")!.summary).toMatchObject({ framework: "onnx", latest: { step: 2 } });
    // loadRun gives the same names.
    expect((await loadRun(run.artifactsPath)).lineage.map((r) => r.name)).toEqual(records.map((r) => r.name));
  });

  it("an older run with duplicate names reads unique, and is written unique when resumed", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false });
    run.logMetric("loss", 1, { step: 0 });
    await run.end();
    const old: V1RunArtifact[] = [
      { name: "loss", kind: "image", path: "events/image/loss.plx", summary: { is_event: true }, is_input: false },
      { name: "loss", kind: "metric", path: "events/metric/loss.plx", summary: { is_event: true }, is_input: false },
      { name: "loss", kind: "file", path: "outputs/loss.txt", summary: {}, is_input: false },
    ];
    writeFileSync(join(run.artifactsPath, "lineages.plx.json"), JSON.stringify(old));
    expect((await loadRun(run.artifactsPath)).lineage.map((r) => [r.kind, r.name])).toEqual([
      ["image", "loss-image"],
      ["metric", "loss-metric"],
      ["file", "loss"],
    ]);
    const again = await init({ offlineRoot: dir, runUuid: run.uuid, handleExit: false });
    again.logMetric("loss", 0.5, { step: 1 });
    await again.end();
    const { records, byName } = asPolyaxonDict(run.artifactsPath);
    expect(byName.size).toBe(records.length);
    expect(records.filter((r) => r.path === "events/metric/loss.plx")).toHaveLength(1);
  });

  it("a reference that would take another reference's name is refused before anything moves", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false, trackCode: false, trackEnv: false });
    const f = join(dir, "x.bin");
    writeFileSync(f, "x");
    await run.logFileRef({ path: f });
    await expect(run.logModel({ path: f, framework: "onnx" })).rejects.toBeInstanceOf(LineageNameConflictError);
    expect(existsSync(f)).toBe(true);
    await expect(run.logModelRef({ path: f })).rejects.toThrow(/already exists.*Pass another `name`/);
    await run.logModelRef({ path: f, name: "x-model" });
    await run.logFileRef({ path: f, summary: { v: 2 } }); // the same kind and name: updated, as Polyaxon
    await run.end();
    const { records } = asPolyaxonDict(run.artifactsPath);
    expect(records.map((r) => [r.kind, r.name])).toEqual([
      ["file", "x"],
      ["model", "x-model"],
    ]);
    expect(records[0]!.summary).toMatchObject({ v: 2 });
  });
});

describe("references as Polyaxon's client records them", () => {
  const tmp = useTmp();

  it("logDataRef by content only, logFileRef / logDirRef default names, tensorboard once", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    const rec = await run.logDataRef({ name: "train set", content: "hello" });
    expect(rec).toEqual({ name: "train-set", kind: "data", summary: { hash: createHash("md5").update("hello").digest("hex").slice(0, 12) }, is_input: true });
    expect(rec.summary!.hash).toBe("5d41402abc4b"); // Python: hashlib.md5(str("hello").encode()).hexdigest()[:12]
    expect(await run.logDataRef({ name: "v2", hash: "abc", isInput: false })).toEqual({ name: "v2", kind: "data", summary: { hash: "abc" }, is_input: false });
    await expect(run.logDataRef({ name: "bad", content: 3 as never })).rejects.toThrow(/must be a string/);
    expect((await run.logFileRef({ path: "/mnt/data/file.tar.gz" })).name).toBe("file");
    expect(await run.logDirRef({ path: "/mnt/data/my.dataset.v1/" })).toEqual({
      name: "my-dataset-v1",
      kind: "dir",
      path: "/mnt/data/my.dataset.v1/",
      summary: { path: "/mnt/data/my.dataset.v1/" },
      is_input: false,
    });
    const tb = run.getTensorboardPath();
    expect(tb).toBe(join(run.artifactsPath, "outputs", "tensorboard"));
    expect(run.logTensorboardRef(join(run.artifactsPath, "outputs", "tb2"))).toBeUndefined(); // once per run
    await run.end();
    const lineage = (await loadRun(run.artifactsPath)).lineage;
    expect(lineage.find((r) => r.kind === "tensorboard")).toEqual({ name: "tensorboard", kind: "tensorboard", path: "outputs/tensorboard", summary: { path: tb }, is_input: false });
    expect(lineage.filter((r) => r.kind === "tensorboard")).toHaveLength(1);
    expect(run.meta.meta_info.has_tensorboard).toBe(true);
  });
});

describe("run metadata as Polyaxon's client sets it", () => {
  const tmp = useTmp();

  it("inputs and outputs keys go through to_fqn_name; a metrics-only run has has_events", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    run.logInputs({ "optimizer/lr": 0.01, "batch size": 32 });
    run.logOutputs({ "val/acc": 0.5 });
    run.logMetric("val/acc", 0.75, { step: 1 });
    await run.end();
    const meta = (await loadRun(run.artifactsPath)).meta;
    expect(meta.inputs).toEqual({ optimizer__lr: 0.01, "batch-size": 32 });
    expect(meta.outputs).toEqual({ val__acc: 0.75 });
    expect(meta.meta_info).toMatchObject({ has_metrics: true, has_events: true });
    expect(() => run.logInputs({ "??": 1 })).toThrow(); // ended, and the name would be empty anyway
  });

  it("logFailed / logStopped / logSucceeded end the run with Polyaxon's reason and the given message", async () => {
    const dir = tmp();
    const failed = await init({ offlineRoot: dir, handleExit: false });
    await failed.logFailed({ message: "loss became NaN" });
    const stopped = await init({ offlineRoot: dir, handleExit: false });
    await stopped.logStopped({ reason: "EarlyStopping" });
    const ok = await init({ offlineRoot: dir, handleExit: false });
    await ok.logSucceeded();
    await ok.logFailed({ message: "too late" }); // an ended run keeps its status, as Polyaxon's `_log_end_status`
    const last = async (r: { artifactsPath: string }) => (await loadRun(r.artifactsPath)).meta.status_conditions.at(-1)!;
    expect(await last(failed)).toMatchObject({ type: "failed", status: true, reason: "PolyaxonClient", message: "loss became NaN" });
    expect(await last(stopped)).toMatchObject({ type: "stopped", reason: "EarlyStopping", message: "Operation is stopped" });
    expect(await last(ok)).toMatchObject({ type: "succeeded", reason: "PolyaxonClient", message: "Operation has succeeded" });
    expect(ok.status).toBe("succeeded");
  });
});

describe("pruned versions are recognisable from the event file alone", () => {
  const tmp = useTmp();

  it("a companion row lists the deleted steps; Polyaxon's step summary is unchanged", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    const mgr = new CheckpointManager(run, { name: "model", framework: "test", keepLast: 1 });
    const write = (step: number) => async (d: string) => {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "w.bin"), String(step));
    };
    for (const step of [1, 2, 3]) await mgr.save(step, { loss: 1 / step }, write(step));
    await run.end();
    const text = readFileSync(join(run.artifactsPath, "events/model/model.plx"), "utf8");
    const lines = text.split("\n");
    expect(lines[0]).toBe("step|timestamp|model");
    expect(lines.map((l) => l.split("|")[0])).toEqual(["step", "1", "2", "2", "3", "3"]);
    expect(lines[3]).toMatch(/^2\|[^|]+\|\{"framework":"test","path":"assets\/model\/model_2","spec":\{"runtrail":\{"pruned":\[1\]\}\}\}$/);
    // Every row, companions included, is a V1EventModel with a path (what Polyaxon's readers see).
    const raw = parseEvents("model", text).rows;
    expect(raw).toHaveLength(5);
    expect(raw.every((r) => typeof (r.value as { path?: unknown }).path === "string")).toBe(true);
    expect(prunedVersions(raw)).toEqual(await readPrunedVersions(run.artifactsPath, "model"));
    // readEvents gives the version rows only.
    expect((await readEvents(run.artifactsPath, "model", "model")).map((r) => r.step)).toEqual([1, 2, 3]);
    const { pruned, kept } = await readPrunedVersions(run.artifactsPath, "model");
    expect([...pruned].sort()).toEqual([1, 2]);
    expect([...kept]).toEqual([3]);
    for (const s of pruned) expect(existsSync(join(run.artifactsPath, `assets/model/model_${s}`))).toBe(false);
    expect(existsSync(join(run.artifactsPath, "assets/model/model_3"))).toBe(true);
    // Polyaxon's summary reads the first and last rows: still steps 1 and 3.
    const rec = (await loadRun(run.artifactsPath)).lineage.find((r) => r.path === "events/model/model.plx")!;
    expect(rec.summary).toMatchObject({ step: { count: 5, min: 1, max: 3 }, versions: [3] });
  });

  it("a step saved again after it was pruned is on disk again; a resumed manager skips companion rows", async () => {
    const dir = tmp();
    const run = await init({ offlineRoot: dir, handleExit: false });
    const write = async (d: string) => {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "w.bin"), "w");
    };
    const mgr = new CheckpointManager(run, { name: "ckpt", framework: "test", keepBest: 1, monitor: "loss" });
    await mgr.save(1, { loss: 0.5 }, write);
    await mgr.save(2, { loss: 0.9 }, write); // worse: pruned at once
    await run.end();
    const again = await init({ offlineRoot: dir, runUuid: run.uuid, handleExit: false });
    const resumed = new CheckpointManager(again, { name: "ckpt", framework: "test", keepBest: 1, monitor: "loss" });
    expect(resumed.list().map((v) => v.step)).toEqual([1]);
    expect(resumed.bestValue).toBe(0.5);
    await resumed.save(2, { loss: 0.1 }, write); // step 2 again, now the best: step 1 goes
    await again.end();
    const { pruned, kept } = await readPrunedVersions(run.artifactsPath, "ckpt");
    expect([...kept]).toEqual([2]);
    expect([...pruned]).toEqual([1]);
  });
});

describe("run fields Polyaxon's client sets offline", () => {
  const tmp = useTmp();

  it("logTags, setName, setDescription, setReadme, logProgress write run.plx.json", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false, tags: ["a"] });
    run.logTags("b, c ,");
    run.logTags(["c", "d"]);
    run.setName("renamed");
    run.setDescription("a longer description");
    run.setReadme("# Notes\n\nmarkdown");
    run.logProgress(0.5);
    run.logProgress(0.5); // unchanged: skipped
    run.logProgress(0.51);
    run.logProgress(0.52);
    run.logProgress(0.53);
    expect(() => run.logProgress(1.5)).toThrow(/from 0 to 1/);
    expect(() => run.logProgress("half" as never)).toThrow(InvalidValueError);
    run.logProgress(1);
    await run.end();
    const meta = (await loadRun(run.artifactsPath)).meta;
    expect(meta).toMatchObject({ name: "renamed", description: "a longer description", readme: "# Notes\n\nmarkdown", tags: ["a", "b", "c", "d"] });
    expect(meta.meta_info.progress).toBe(1);
    const other = await init({ offlineRoot: tmp(), handleExit: false, tags: ["x"] });
    other.logTags(["y"], { reset: true });
    await other.end();
    expect((await loadRun(other.artifactsPath)).meta.tags).toEqual(["y"]);
  });

  it("logProgress skips small steps as Polyaxon's throttle does", () => {
    const t = new ProgressThrottle();
    const s = 1_700_000_000_000;
    expect([t.skip(0, 0.01, s), t.skip(0.01, 0.02, s), t.skip(0.02, 0.03, s), t.skip(0.03, 0.04, s)]).toEqual([false, false, false, true]);
    expect(t.skip(0.03, 0.5, s)).toBe(false); // a big step always goes through
    expect(t.skip(0.5, 0.51, s + 1000)).toBe(false); // a new second
    expect(t.skip(0.51, 0.52, s + 1000)).toBe(true);
  });
});

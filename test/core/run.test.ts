import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  init,
  InvalidNameError,
  InvalidValueError,
  loadRun,
  NoActiveRunError,
  PathEscapeError,
  readEvents,
  Run,
  RunEndedError,
  tracking,
} from "../../src/index.js";
import { setDefaultRun } from "../../src/core/tracking.js";
import { useTmp } from "../helpers/tmp.js";

describe("run root and paths", () => {
  const tmp = useTmp();
  afterEach(() => {
    delete process.env.POLYAXON_OFFLINE_ROOT;
  });

  it("lives in <offlineRoot>/runs/<uuid> with outputs/, events/, assets/ and run.plx.json", async () => {
    const root = tmp();
    const run = await init({ offlineRoot: root, project: "p", name: "first", handleExit: false });
    expect(run.uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(run.artifactsPath).toBe(join(root, "runs", run.uuid));
    for (const d of ["outputs", "events", "assets"]) expect(existsSync(join(run.artifactsPath, d))).toBe(true);
    const meta = JSON.parse(readFileSync(join(run.artifactsPath, "run.plx.json"), "utf8"));
    expect(meta).toMatchObject({ uuid: run.uuid, name: "first", project: "p", kind: "job", status: "running", is_managed: false });
    await run.end();
  });

  it("takes the root from POLYAXON_OFFLINE_ROOT, or an explicit artifactsPath", async () => {
    const root = tmp();
    process.env.POLYAXON_OFFLINE_ROOT = root;
    const a = await init({ handleExit: false });
    expect(a.artifactsPath.startsWith(join(root, "runs"))).toBe(true);
    const explicit = join(tmp(), "my-run");
    const b = await init({ artifactsPath: explicit, handleExit: false });
    expect(b.artifactsPath).toBe(explicit);
    await a.end();
    await b.end();
  });

  it("getArtifactsPath / getOutputsPath follow Polyaxon's creation rules", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    const p = run.artifactsPath;
    expect(run.getArtifactsPath("code/file.py")).toBe(join(p, "code/file.py"));
    expect(existsSync(join(p, "code"))).toBe(false);
    expect(run.getOutputsPath("model/model.h5")).toBe(join(p, "outputs/model/model.h5"));
    expect(existsSync(join(p, "outputs/model"))).toBe(true);
    expect(existsSync(join(p, "outputs/model/model.h5"))).toBe(false);
    expect(run.getOutputsPath("sub-folder", { isDir: true })).toBe(join(p, "outputs/sub-folder"));
    expect(existsSync(join(p, "outputs/sub-folder"))).toBe(true);
    expect(run.getOutputsPath()).toBe(join(p, "outputs"));
    await run.end();
  });

  it("refuses paths that leave the run: .., absolute, escaping symlinks", async () => {
    const outside = tmp();
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    expect(() => run.getOutputsPath("../../etc/passwd")).toThrow(PathEscapeError);
    expect(() => run.getArtifactsPath("/etc/passwd")).toThrow(PathEscapeError);
    symlinkSync(outside, join(run.artifactsPath, "outputs", "link"));
    expect(() => run.getOutputsPath("link/file.txt")).toThrow(/symbolic link/);
    const src = join(outside, "f.txt");
    writeFileSync(src, "x");
    await expect(run.logArtifact({ path: src, relPath: "../.." })).rejects.toBeInstanceOf(PathEscapeError);
    expect(existsSync(src)).toBe(true);
    await run.end();
  });
});

describe("bad input is a named error and writes nothing", () => {
  const tmp = useTmp();

  it("metrics, steps, curves, names", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    expect(() => run.logMetric("loss", "0.5" as never)).toThrow(InvalidValueError);
    expect(() => run.logMetric("loss", 0.5, { step: -1 })).toThrow(/non-negative integer/);
    expect(() => run.logMetric("loss", 0.5, { step: 1.5 })).toThrow(InvalidValueError);
    expect(() => run.logMetric("loss", 0.5, { timestamp: new Date("nope") })).toThrow(InvalidValueError);
    expect(() => run.logMetrics({ a: 1, b: "x" as never }, { step: 1 })).toThrow(InvalidValueError);
    expect(() => run.logCurve("c", [1, 2], [1])).toThrow(/same length/);
    expect(() => run.logConfusionMatrix("cm", ["a"], ["a", "b"], [[1]])).toThrow(InvalidValueError);
    expect(() => run.logHistogram("h", { values: [1, 2], counts: [0, 1] })).toThrow(/one more entry/);
    expect(() => run.logMetric("", 1)).toThrow(InvalidNameError);
    expect(() => run.logMetric("???", 1)).toThrow(InvalidNameError);
    await run.end();
    expect(existsSync(join(run.artifactsPath, "events/metric/a.plx"))).toBe(false);
    expect(existsSync(join(run.artifactsPath, "events/curve"))).toBe(false);
  });

  it("a bad runUuid, and logging after end", async () => {
    await expect(init({ runUuid: "not-a-uuid", offlineRoot: tmp(), handleExit: false })).rejects.toBeInstanceOf(InvalidValueError);
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    await run.end();
    expect(() => run.logMetric("loss", 1)).toThrow(RunEndedError);
    await run.end(); // idempotent
  });
});

describe("tracking facade", () => {
  const tmp = useTmp();

  it("throws a clear error before init, then logs to the default run", async () => {
    setDefaultRun(undefined);
    expect(() => tracking.logMetric("loss", 1)).toThrow(NoActiveRunError);
    expect(() => tracking.getOutputsPath()).toThrow(/tracking.init/);
    const run = await tracking.init({ offlineRoot: tmp(), handleExit: false });
    expect(tracking.run).toBe(run);
    expect(tracking.uuid).toBe(run.uuid);
    tracking.logMetric("loss", 0.25, { step: 0 });
    await tracking.end();
    expect((await readEvents(run.artifactsPath, "metric", "loss"))[0]!.value).toBe(0.25);
  });
});

describe("end and resume", () => {
  const tmp = useTmp();

  it("end() writes summaries per event file, last metric values as outputs and the final status", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    [0.9, 0.5, 0.4, 0.2].forEach((v, i) => run.logMetric("loss", v, { step: i }));
    await run.end();
    const loaded = await loadRun(run.artifactsPath);
    expect(loaded.status).toBe("succeeded");
    expect(loaded.meta.outputs).toEqual({ loss: 0.2 });
    expect(loaded.meta.status_conditions.map((c) => c.type)).toEqual(["created", "running", "succeeded"]);
    expect(loaded.meta.finished_at).toBeDefined();
    const rec = loaded.lineage.find((r) => r.name === "loss")!;
    expect(rec.path).toBe("events/metric/loss.plx");
    expect(rec.summary).toMatchObject({
      is_event: true,
      step: { count: 4, min: 0, max: 3 },
      metric: { count: 4, min: 0.2, max: 0.9, last: 0.2, "50%": 0.45 },
    });
    expect((rec.summary as { metric: { mean: number } }).metric.mean).toBeCloseTo(0.5);
  });

  it("resuming a uuid appends to its event files and keeps its lineage", async () => {
    const root = tmp();
    const first = await init({ offlineRoot: root, handleExit: false });
    first.logMetric("loss", 1, { step: 0 });
    const f = join(root, "notes.txt");
    writeFileSync(f, "n");
    await first.logArtifactRef({ path: f });
    await first.end();
    const again = await init({ offlineRoot: root, runUuid: first.uuid, handleExit: false });
    expect(again.resumed).toBe(true);
    expect(again.artifactsPath).toBe(first.artifactsPath);
    again.logMetric("loss", 0.5, { step: 1 });
    await again.end();
    const rows = await readEvents(again.artifactsPath, "metric", "loss");
    expect(rows.map((r) => r.step)).toEqual([0, 1]);
    const loaded = await loadRun(again.artifactsPath);
    expect(loaded.lineage.find((r) => r.name === "notes")).toBeDefined();
    expect(loaded.meta.status_conditions.map((c) => c.type)).toEqual(["created", "running", "succeeded", "running", "succeeded"]);
  });

  it("resuming removes a row cut in half by a kill before appending", async () => {
    const root = tmp();
    const first = await init({ offlineRoot: root, handleExit: false });
    first.logMetric("loss", 1, { step: 0 });
    await first.end();
    const file = join(first.artifactsPath, "events/metric/loss.plx");
    writeFileSync(file, readFileSync(file, "utf8") + "\n1|2024-05-01 12:3");
    expect((await readEvents(first.artifactsPath, "metric", "loss")).length).toBe(1);
    const again = await init({ offlineRoot: root, runUuid: first.uuid, handleExit: false });
    again.logMetric("loss", 0.5, { step: 1 });
    await again.end();
    const text = readFileSync(file, "utf8");
    expect(text.split("\n")).toHaveLength(3);
    expect((await readEvents(again.artifactsPath, "metric", "loss")).map((r) => r.value)).toEqual([1, 0.5]);
  });

  it("an artifactsPath that already holds a run resumes it", async () => {
    const path = join(tmp(), "r");
    mkdirSync(path);
    const first = await init({ artifactsPath: path, handleExit: false });
    await first.end();
    const again = await init({ artifactsPath: path, handleExit: false });
    expect(again.uuid).toBe(first.uuid);
    expect(again.resumed).toBe(true);
    await again.end();
  });
});

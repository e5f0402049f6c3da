import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CheckpointManager } from "../../src/core/checkpoints.js";
import { readVersions, readVersionsSync, specMetrics, versionOnDisk } from "../../src/core/read/versions.js";
import { ArtifactNotFoundError, init, PathEscapeError } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";

describe("specMetrics", () => {
  it("reads the checkpoint hook's nested metrics", () => {
    expect(specMetrics({ step: 30, metrics: { val_loss: 0.3, acc: 0.9 } })).toEqual({ val_loss: 0.3, acc: 0.9 });
    expect(specMetrics({ step: 30, epoch: 4, metrics: {} })).toEqual({});
  });
  it("reads a plain summary's numbers and leaves file facts out", () => {
    expect(specMetrics({ val_loss: 0.5, framework: "keras" })).toEqual({ val_loss: 0.5 });
    expect(specMetrics({ irVersion: 8, sizeBytes: 1234, opsets: [{ domain: "", version: 17 }], accuracy: 0.97 })).toEqual({ accuracy: 0.97 });
  });
});

describe("versions reader", () => {
  const tmp = useTmp();

  async function runWithRetention() {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    const mgr = new CheckpointManager(run, { name: "clf", framework: "custom", monitor: "val_loss", keepBest: 1, keepLast: 1 });
    const losses = [0.5, 0.2, 0.4, 0.3, 0.6];
    for (let step = 0; step < losses.length; step++) {
      await mgr.save(step, { val_loss: losses[step]! }, (dir) => writeFile(join(dir, "w.bin"), "x".repeat(step + 1)));
    }
    return { run, mgr };
  }

  it("lists every version, which are on disk, the recorded best and the newest on disk", async () => {
    const { run, mgr } = await runWithRetention();
    const view = await readVersions(run.artifactsPath, "model", "clf", { sizes: true });
    expect(view.versions.map((v) => [v.step, v.exists])).toEqual([[0, false], [1, true], [2, false], [3, false], [4, true]]);
    expect(view.best).toEqual({ step: 1, monitor: "val_loss", mode: "min", value: 0.2 });
    expect(view.latestStep).toBe(4);
    expect(view.versions.filter((v) => v.best).map((v) => v.step)).toEqual([1]);
    expect(view.versions.filter((v) => v.latest).map((v) => v.step)).toEqual([4]);
    expect(view.versions.find((v) => v.step === 4)).toMatchObject({ framework: "custom", path: "assets/model/clf_4", size: 5, metrics: { val_loss: 0.6 } });
    expect(view.versions.find((v) => v.step === 0)?.size).toBeNull();
    // The checkpoint manager sees the same versions on disk, and a new one (resume) reads them back.
    expect(mgr.list().map((c) => c.step)).toEqual(view.versions.filter((v) => v.exists).map((v) => v.step));
    const again = new CheckpointManager(run, { name: "clf", framework: "custom", monitor: "val_loss", keepBest: 1, keepLast: 1 });
    expect(again.list().map((c) => c.step)).toEqual([1, 4]);
    expect(again.best()?.step).toBe(view.best?.step);
    expect(again.bestValue).toBe(0.2);
    expect(readVersionsSync(run.artifactsPath, "model", "clf").versions).toEqual(view.versions.map((v) => ({ ...v, size: null })));
    await run.end();
  });

  it("one rule for exists: removed by hand, escaping through a symlink, or a path that leaves the run is gone", async () => {
    const { run } = await runWithRetention();
    const outside = tmp();
    writeFileSync(join(outside, "w.bin"), "secret");
    rmSync(join(run.artifactsPath, "assets/model/clf_4"), { recursive: true });
    expect(versionOnDisk(run.artifactsPath, { path: "assets/model/clf_4" })).toBeUndefined();
    symlinkSync(outside, join(run.artifactsPath, "assets/model/clf_4"));
    expect(versionOnDisk(run.artifactsPath, { path: "assets/model/clf_4" })).toBeUndefined();
    expect(versionOnDisk(run.artifactsPath, { path: "assets/model/clf_1" })).toBe(join(run.artifactsPath, "assets/model/clf_1"));
    for (const path of ["../x", "/etc", "", "assets//model", "assets/./model/clf_1", 7]) expect(versionOnDisk(run.artifactsPath, { path }), String(path)).toBeUndefined();
    const view = await readVersions(run.artifactsPath, "model", "clf");
    expect(view.latestStep).toBe(1);
    await run.end();
  });

  it("names what is missing, and refuses an event file that leads outside the run", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    await expect(readVersions(run.artifactsPath, "model", "nope")).rejects.toThrow(ArtifactNotFoundError);
    const outside = tmp();
    writeFileSync(join(outside, "evil.plx"), "step|timestamp|model\n");
    mkdirSync(join(run.artifactsPath, "events/model"), { recursive: true });
    symlinkSync(join(outside, "evil.plx"), join(run.artifactsPath, "events/model/evil.plx"));
    await expect(readVersions(run.artifactsPath, "model", "evil")).rejects.toThrow(PathEscapeError);
    await run.end();
  });
});

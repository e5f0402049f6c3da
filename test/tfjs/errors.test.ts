import fs, { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TfjsMismatchError, TrackingCallback, UnknownMonitorError, type TfModule } from "../../src/adapters/tfjs.js";
import { setDefaultRun } from "../../src/core/tracking.js";
import { InvalidValueError, loadRun, NoActiveRunError, readEvents, RunEndedError, RunWriteError } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";
import { newRun, tf, useBackend, xorData, xorModel } from "./helpers.js";

const FIT = { batchSize: 8, shuffle: false, verbose: 0 } as const;

/** Process warnings emitted while the test runs. */
function captureWarnings(): Error[] {
  const seen: Error[] = [];
  const on = (w: Error) => void seen.push(w);
  beforeEach(() => {
    seen.length = 0;
    process.on("warning", on);
  });
  afterEach(() => void process.off("warning", on));
  return seen;
}

function stagingLeft(runPath: string): string[] {
  const dir = join(runPath, ".runtrail", "staging");
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe("TrackingCallback: bad input and failures", () => {
  const tmp = useTmp();
  beforeAll(() => useBackend("cpu"));

  it("rejects fit with UnknownMonitorError at the first epoch end when monitor is not a logged metric", async () => {
    const run = await newRun(tmp());
    const { xs, ys } = xorData(16);
    const cb = new TrackingCallback({ tf, checkpoint: { monitor: "val_loss", keepBest: 2 } });
    const model = xorModel();
    const err = await model.fit(xs, ys, { ...FIT, epochs: 3, callbacks: [cb] }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownMonitorError);
    expect(err).toMatchObject({ code: "RUNTRAIL_INVALID_VALUE", value: "val_loss" });
    expect((err as Error).message).toContain('("loss", "acc")');
    await run.flush();
    expect((await readEvents(run.artifactsPath, "metric", "loss")).map((r) => r.step)).toEqual([0]);
    expect(existsSync(join(run.artifactsPath, "assets", "model"))).toBe(false);
    expect((model as unknown as { isTraining: boolean }).isTraining).toBe(false);
  });

  describe("write failures", () => {
    const warnings = captureWarnings();

    it("a checkpoint write that fails half-way: training completes, the error is recorded, no half version stays", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(16);
      // The second checkpoint fails after its model.json is written, while writing weights.bin.
      // weights.bin is written with fs.open + fs.writev (see file-io.ts): its open fails.
      const open = fs.open;
      let bins = 0;
      fs.open = ((file: string, flags: string, cb: (err: Error | null, fd?: number) => void) => {
        if (String(file).endsWith("weights.bin") && ++bins === 2) {
          process.nextTick(cb, Object.assign(new Error("ENOSPC: no space left on device (simulated)"), { code: "ENOSPC" }));
          return;
        }
        open(file, flags, cb);
      }) as typeof open;
      syncBuiltinESMExports();
      const cb = new TrackingCallback({ tf, checkpoint: true });
      let h: tf.History;
      try {
        h = await xorModel().fit(xs, ys, { ...FIT, epochs: 4, callbacks: [cb] });
      } finally {
        fs.open = open;
        syncBuiltinESMExports();
      }
      expect(bins).toBe(4);
      expect(h.epoch).toEqual([0, 1, 2, 3]);
      expect(cb.errors).toHaveLength(1);
      expect(cb.errors[0]).toBeInstanceOf(RunWriteError);
      expect(cb.errors[0]).toMatchObject({ code: "RUNTRAIL_WRITE_FAILED", value: { name: "model", step: 1 } });
      expect((cb.errors[0]!.cause as Error).message).toMatch(/ENOSPC/);
      expect(warnings).toContain(cb.errors[0]);
      const p = run.artifactsPath;
      expect(readdirSync(join(p, "assets", "model")).sort()).toEqual(["model_0", "model_2", "model_3"]);
      expect(stagingLeft(p)).toEqual([]);
      expect((await readEvents(p, "model", "model")).map((r) => r.step)).toEqual([0, 2, 3]);
      expect((await loadRun(p)).lineage.find((r) => r.path === "events/model/model.plx")?.summary).toMatchObject({ versions: [0, 2, 3] });
      expect((await readEvents(p, "metric", "loss")).map((r) => r.step)).toEqual([0, 1, 2, 3]);
    });

    it("a model that cannot be serialised at a checkpoint: recorded, and the next checkpoints are saved", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(16);
      // tfjs hands callbacks the functional model inside a tf.sequential(), so patch the class.
      const proto = tf.LayersModel.prototype;
      const save = proto.save;
      let calls = 0;
      proto.save = async function (this: tf.LayersModel, handler, config) {
        if (++calls === 1) throw new Error("cannot serialise (simulated)");
        return save.call(this, handler, config);
      };
      const cb = new TrackingCallback({ tf, checkpoint: true });
      try {
        await xorModel().fit(xs, ys, { ...FIT, epochs: 3, callbacks: [cb] });
      } finally {
        proto.save = save;
      }
      expect(cb.errors.map((e) => e.value)).toEqual([{ name: "model", step: 0 }]);
      expect(readdirSync(join(run.artifactsPath, "assets", "model")).sort()).toEqual(["model_1", "model_2"]);
    });

    it("a real file-system failure on every checkpoint: training completes and every failure is recorded", async () => {
      const run = await newRun(tmp());
      const p = run.artifactsPath;
      rmSync(join(p, "assets", "model"), { recursive: true, force: true });
      writeFileSync(join(p, "assets", "model"), "not a folder"); // committing a version must fail
      const { xs, ys } = xorData(16);
      const cb = new TrackingCallback({ tf, checkpoint: { monitor: "loss", keepBest: 1 } });
      await xorModel().fit(xs, ys, { ...FIT, epochs: 3, callbacks: [cb] });
      expect(cb.errors.map((e) => (e.value as { step: number }).step)).toEqual([0, 1, 2]);
      expect(cb.errors.every((e) => e instanceof RunWriteError && e.cause !== undefined)).toBe(true);
      expect(stagingLeft(p)).toEqual([]);
      expect(existsSync(join(p, "events", "model"))).toBe(false);
      expect(cb.checkpoints()).toEqual([]);
      expect((await readEvents(p, "metric", "loss")).map((r) => r.step)).toEqual([0, 1, 2]);
    });

    it("an optimizer that cannot export its state (Adamax): checkpoints without it, one warning, no error", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(16);
      const model = xorModel();
      model.compile({ loss: "binaryCrossentropy", optimizer: tf.train.adamax(0.05) });
      const cb = new TrackingCallback({ tf, checkpoint: true });
      await model.fit(xs, ys, { ...FIT, epochs: 2, callbacks: [cb] });
      expect(cb.errors).toEqual([]);
      expect(warnings.filter((w) => (w as { code?: string }).code === "RUNTRAIL_OPTIMIZER_STATE")).toHaveLength(1);
      expect(cb.checkpoints().map((c) => c.step)).toEqual([0, 1]);
      expect(readdirSync(join(run.artifactsPath, "assets", "model", "model_1")).sort()).toEqual(["model.json", "weights.bin"]);
    });
  });

  it("checks its options with errors that say what is allowed", async () => {
    const run = await newRun(tmp());
    expect(() => new TrackingCallback({ tf, logEvery: 0 })).toThrow(InvalidValueError);
    expect(() => new TrackingCallback({ tf, logEvery: "step" as "batch" })).toThrow(/logEvery must be "epoch", "batch" or a positive integer/);
    expect(() => new TrackingCallback({ tf, checkpoint: { every: 2.5 } })).toThrow(/checkpoint.every must be "epoch", a positive number of batches, or \{ epochs \| batches, seconds \}.*\(got 2\.5\)/);
    expect(() => new TrackingCallback({ tf, checkpoint: { every: { epochs: 2, batches: 10 } } })).toThrow(/set epochs or batches, not both/);
    expect(() => new TrackingCallback({ tf, checkpoint: { every: {} } })).toThrow(/got none of them/);
    expect(() => new TrackingCallback({ tf, checkpoint: { every: { seconds: -1 } } })).toThrow(/got seconds: -1, not a positive number/);
    expect(() => new TrackingCallback({ tf, checkpoint: { every: { epochs: 0.5 } } })).toThrow(/got epochs: 0\.5, not a positive integer/);
    expect(() => new TrackingCallback({ tf, checkpoint: { every: { steps: 5 } as never } })).toThrow(/unknown key "steps"/);
    expect(() => new TrackingCallback({ tf, checkpoint: { restoreBestWeights: true } })).toThrow(/restoreBestWeights needs `monitor`/);
    expect(() => new TrackingCallback({ tf, checkpoint: { monitor: "loss", restoreBestWeights: "yes" as never } })).toThrow(/restoreBestWeights must be a boolean/);
    expect(() => new TrackingCallback({ tf, checkpoint: { keepBest: 2 } })).toThrow(/keepBest and saveBestOnly need `monitor`/);
    expect(() => new TrackingCallback({ tf, checkpoint: { monitor: "loss", mode: "up" as "max" } })).toThrow(/mode must be "min", "max" or "auto"/);
    expect(() => new TrackingCallback({ tf: {} as TfModule })).toThrow(/`tf` must be the TensorFlow.js module/);
    await run.end();
    expect(() => new TrackingCallback({ tf, run })).toThrow(RunEndedError);
    setDefaultRun(undefined);
    expect(() => new TrackingCallback({ tf })).toThrow(NoActiveRunError);
  });

  it("is a tf.CustomCallback of the given tfjs, and an instance of TrackingCallback", async () => {
    await newRun(tmp());
    const epochOnly = new TrackingCallback({ tf });
    const batches = new TrackingCallback({ tf, logEvery: "batch" });
    for (const cb of [epochOnly, batches]) {
      expect(cb).toBeInstanceOf(tf.CustomCallback);
      expect(cb).toBeInstanceOf(TrackingCallback);
    }
    expect({}).not.toBeInstanceOf(TrackingCallback);
    // Without batch logging or batch checkpoints, the batch hook leaves tfjs's batch values on the
    // backend (it only lets a checkpoint being written progress); with them, it reads them back.
    const logs = { loss: tf.scalar(0.5) };
    await epochOnly.onBatchEnd(0, logs);
    expect(logs.loss).toBeInstanceOf(tf.Tensor);
    expect(logs.loss.isDisposed).toBe(false);
    batches.setModel(xorModel());
    await batches.onTrainBegin!({});
    await batches.onBatchEnd(0, logs);
    expect(logs.loss).toBe(0.5);
    await batches.onTrainEnd!(); // waits for the model summary it started
  });

  it("built against another tfjs copy and passed first, it fails fit with TfjsMismatchError instead of doing nothing", async () => {
    await newRun(tmp());
    // What another copy of tfjs-layers looks like to this one: same shape, different class.
    class OtherCustomCallback {
      params: unknown;
      setParams(p: unknown) {
        this.params = p;
      }
      setModel() {}
      async onEpochBegin() {}
      async onEpochEnd() {}
      async onBatchBegin() {}
      async onBatchEnd() {}
      async onTrainBegin() {}
      async onTrainEnd() {}
    }
    const otherTf = { ...tf, CustomCallback: OtherCustomCallback } as unknown as TfModule;
    const cb = new TrackingCallback({ tf: otherTf });
    expect(cb).not.toBeInstanceOf(tf.CustomCallback);
    const { xs, ys } = xorData(8);
    const err = await xorModel().fit(xs, ys, { ...FIT, epochs: 1, callbacks: [cb] }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TfjsMismatchError);
    expect((err as Error).message).toMatch(/new TrackingCallback\(\{ tf \}\)/);
  });
});

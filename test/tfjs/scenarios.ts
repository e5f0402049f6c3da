import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findCheckpoint, listCheckpoints, loadCheckpoint, TrackingCallback } from "../../src/adapters/tfjs.js";
import { loadRun, readEvents } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";
import { newRun, predict, predictionsByEpoch, tf, useBackend, xorData, xorModel } from "./helpers.js";

const FIT = { batchSize: 8, shuffle: false, verbose: 0 } as const;

async function steps(runPath: string, kind: string, name: string): Promise<Array<number | null>> {
  return (await readEvents(runPath, kind, name)).map((r) => r.step);
}

async function values(runPath: string, name: string): Promise<number[]> {
  return (await readEvents(runPath, "metric", name)).map((r) => r.value);
}

function modelRecord(lineage: Awaited<ReturnType<typeof loadRun>>["lineage"], name = "model") {
  return lineage.find((r) => r.kind === "model" && r.path === `events/model/${name}.plx`);
}

/** The real-training suite, run once per backend (each backend in its own test file and process). */
export function describeFitSuite(backend: "cpu" | "wasm"): void {
  describe(`TrackingCallback in a real model.fit (${backend} backend)`, () => {
    const tmp = useTmp();
    beforeAll(() => useBackend(backend));

    it(`trains on the ${backend} backend`, () => {
      expect(tf.getBackend()).toBe(backend);
    });

    it("logs epoch metrics at tfjs's epoch index and batch metrics at a global batch step", async () => {
      const run = await newRun(tmp());
      const { xs, ys, valXs, valYs } = xorData(32);
      const cb = new TrackingCallback({ tf, logEvery: "batch" });
      const h = await xorModel().fit(xs, ys, { ...FIT, epochs: 3, validationData: [valXs, valYs], callbacks: [cb] });
      const p = run.artifactsPath;
      for (const name of ["loss", "acc", "val_loss", "val_acc"]) {
        expect(await steps(p, "metric", name)).toEqual([0, 1, 2]);
        expect(await values(p, name)).toEqual(h.history[name]);
      }
      expect(await values(p, "lr")).toEqual([0.05, 0.05, 0.05]);
      const batchSteps = Array.from({ length: 12 }, (_, i) => i + 1);
      expect(await steps(p, "metric", "batch_loss")).toEqual(batchSteps);
      expect(await steps(p, "metric", "batch_acc")).toEqual(batchSteps);
      const streams = (await loadRun(p)).streams.filter((s) => s.kind === "metric").map((s) => s.name);
      expect(streams.sort()).toEqual(["acc", "batch_acc", "batch_loss", "loss", "lr", "val_acc", "val_loss"]);
      expect(cb.globalStep).toBe(12);
      expect(cb.errors).toEqual([]);
    });

    it("records the training parameters once and saves the model summary under outputs", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(16);
      await xorModel().fit(xs, ys, { ...FIT, epochs: 2, callbacks: [new TrackingCallback({ tf })] });
      expect(run.meta.inputs).toEqual({ layers: 2, optimizer: "Adam", loss: "binaryCrossentropy", batch_size: 8, epochs: 2 });
      const summary = readFileSync(join(run.artifactsPath, "outputs", "model_summary.txt"), "utf8");
      expect(summary).toContain("Total params: 33");
      const ref = (await loadRun(run.artifactsPath)).lineage.find((r) => r.name === "model_summary");
      expect(ref).toMatchObject({ kind: "file", path: "outputs/model_summary.txt", is_input: false });
    });

    it("logs every N-th batch with logEvery: N", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(32);
      const cb = new TrackingCallback({ tf, logEvery: 5 });
      await xorModel().fit(xs, ys, { ...FIT, epochs: 3, callbacks: [cb] });
      expect(await steps(run.artifactsPath, "metric", "batch_loss")).toEqual([5, 10]);
      expect(cb.globalStep).toBe(12);
    });

    it("saves a checkpoint per epoch in tfjs-node's file:// layout, with its event row and lineage", async () => {
      const run = await newRun(tmp());
      const { xs, ys, valXs, valYs } = xorData(16);
      const cb = new TrackingCallback({ tf, checkpoint: true });
      const h = await xorModel().fit(xs, ys, { ...FIT, epochs: 3, validationData: [valXs, valYs], callbacks: [cb] });
      const p = run.artifactsPath;
      expect(readdirSync(join(p, "assets", "model")).sort()).toEqual(["model_0", "model_1", "model_2"]);
      for (const step of [0, 1, 2]) {
        const dir = join(p, "assets", "model", `model_${step}`);
        expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
        const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
        expect(Object.keys(json)).toEqual(["modelTopology", "weightsManifest", "format", "generatedBy", "convertedBy", "trainingConfig"]);
        expect(json.format).toBe("layers-model");
        expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v4\./);
        expect(json.convertedBy).toBeNull();
        expect(json.weightsManifest).toHaveLength(1);
        expect(json.weightsManifest[0].paths).toEqual(["weights.bin"]);
        const specs = json.weightsManifest[0].weights as Array<{ name: string; shape: number[]; group?: string }>;
        expect(specs.filter((s) => s.group !== "optimizer").map((s) => s.name)).toHaveLength(4);
        expect(specs.filter((s) => s.group === "optimizer").map((s) => s.name)[0]).toBe("iter");
        const bytes = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
        expect(statSync(join(dir, "weights.bin")).size).toBe(bytes);
      }
      const rows = await readEvents(p, "model", "model");
      expect(rows.map((r) => r.step)).toEqual([0, 1, 2]);
      rows.forEach((r, epoch) => {
        expect(r.value).toEqual({
          framework: "tfjs",
          path: `assets/model/model_${epoch}`,
          spec: { epoch, step: epoch, metrics: { loss: h.history.loss![epoch], acc: h.history.acc![epoch], val_loss: h.history.val_loss![epoch], val_acc: h.history.val_acc![epoch] } },
        });
      });
      await run.end();
      const rec = modelRecord((await loadRun(p)).lineage);
      expect(rec?.summary).toMatchObject({ is_event: true, step: { count: 3, min: 0, max: 2 }, framework: "tfjs", latest: { step: 2, path: "assets/model/model_2" }, versions: [0, 1, 2] });
      expect(readdirSync(join(p, ".runtrail", "staging"))).toEqual([]);
    });

    it("saves every N batches at the global batch step", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(32);
      await xorModel().fit(xs, ys, { ...FIT, epochs: 3, callbacks: [new TrackingCallback({ tf, checkpoint: { every: 5 } })] });
      const rows = await readEvents(run.artifactsPath, "model", "model");
      expect(rows.map((r) => r.step)).toEqual([5, 10]);
      expect(rows.map((r) => (r.value.spec as { epoch: number }).epoch)).toEqual([1, 2]);
      expect(Object.keys((rows[0]!.value.spec as { metrics: object }).metrics)).toEqual(["loss", "acc"]);
    });

    it("reloads every checkpoint to a model that predicts exactly as the saved one did", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(16);
      const model = xorModel();
      const seen = predictionsByEpoch(model, xs);
      await model.fit(xs, ys, { ...FIT, epochs: 3, callbacks: [new TrackingCallback({ tf, checkpoint: true }), seen.callback] });
      for (const step of [0, 1, 2]) {
        const again = await loadCheckpoint(run, { step, tf });
        expect(predict(again, xs)).toEqual(seen.byEpoch.get(step));
      }
      expect(predict(await loadCheckpoint(run, { tf }), xs)).toEqual(predict(model, xs));
    });

    it("keeps the best versions by val_loss (min) and finds best and latest on a live run, an ended run and a path", async () => {
      const run = await newRun(tmp());
      const { xs, ys, valXs, valYs } = xorData(16);
      const model = xorModel(0.2);
      const seen = predictionsByEpoch(model, xs);
      const cb = new TrackingCallback({ tf, checkpoint: { monitor: "val_loss", keepBest: 2 } });
      const h = await model.fit(xs, ys, { ...FIT, epochs: 6, validationData: [valXs, valYs], callbacks: [cb, seen.callback] });
      const val = h.history.val_loss as number[];
      const ranked = val.map((v, step) => ({ v, step })).sort((a, b) => a.v - b.v || a.step - b.step);
      const kept = ranked.slice(0, 2).map((r) => r.step).sort((a, b) => a - b);
      expect((await listCheckpoints(run)).map((c) => c.step)).toEqual(kept);
      expect(cb.checkpoints().map((c) => c.step)).toEqual(kept);
      expect(cb.best()?.step).toBe(ranked[0]!.step);
      for (const where of [run, run.artifactsPath]) {
        expect((await findCheckpoint(where, { step: "best" })).step).toBe(ranked[0]!.step);
        expect((await findCheckpoint(where, { step: "latest" })).step).toBe(kept[1]);
      }
      await run.end();
      const best = await loadCheckpoint(run, { step: "best", tf });
      expect(predict(best, xs)).toEqual(seen.byEpoch.get(ranked[0]!.step));
      const latest = await loadCheckpoint(run.artifactsPath, { step: "latest", tf });
      expect(predict(latest, xs)).toEqual(seen.byEpoch.get(kept[1]!));
      const rec = modelRecord((await loadRun(run.artifactsPath)).lineage);
      expect(rec?.summary).toMatchObject({ best: { step: ranked[0]!.step, monitor: "val_loss", value: ranked[0]!.v }, versions: kept });
    });

    it("keeps the best versions by val_acc (auto → max), the earliest winning a tie", async () => {
      const run = await newRun(tmp());
      const { xs, ys, valXs, valYs } = xorData(16);
      const cb = new TrackingCallback({ tf, checkpoint: { monitor: "val_acc", keepBest: 1, name: "by-acc" } });
      const h = await xorModel(0.2).fit(xs, ys, { ...FIT, epochs: 5, validationData: [valXs, valYs], callbacks: [cb] });
      const acc = h.history.val_acc as number[];
      const bestStep = acc.indexOf(Math.max(...acc));
      expect((await listCheckpoints(run, { name: "by-acc" })).map((c) => c.step)).toEqual([bestStep]);
      expect(readdirSync(join(run.artifactsPath, "assets", "model"))).toEqual([`by-acc_${bestStep}`]);
    });

    it("restores the optimizer state, so training continues exactly as without the interruption", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(16);
      const model = xorModel();
      await model.fit(xs, ys, { ...FIT, epochs: 2, callbacks: [new TrackingCallback({ tf, checkpoint: true })] });
      const loaded = await loadCheckpoint(run, { step: 1, tf });
      const recompiled = await loadCheckpoint(run, {
        step: 1,
        tf,
        compile: { loss: "binaryCrossentropy", optimizer: tf.train.adam(0.05), metrics: ["acc"] },
      });
      expect(loaded.optimizer.getClassName()).toBe("Adam");
      const state = async (m: tf.LayersModel) => Promise.all((await m.optimizer.getWeights()).map(async (w) => [w.name, Array.from(await w.tensor.data())]));
      expect(await state(loaded)).toEqual(await state(model));
      expect(await state(recompiled)).toEqual(await state(model));
      const go = { ...FIT, epochs: 4, initialEpoch: 2 };
      const h0 = await model.fit(xs, ys, go);
      const h1 = await loaded.fit(xs, ys, go);
      const h2 = await recompiled.fit(xs, ys, go);
      expect(h1.history.loss).toEqual(h0.history.loss);
      expect(h2.history.loss).toEqual(h0.history.loss);
      expect(predict(loaded, xs)).toEqual(predict(model, xs));
    });

    it("leaves no tensors behind (batch logging and checkpoints with optimizer state)", async () => {
      await newRun(tmp());
      const { xs, ys, valXs, valYs } = xorData(16);
      const model = xorModel();
      const args = { ...FIT, epochs: 2, validationData: [valXs, valYs] as [tf.Tensor, tf.Tensor] };
      await model.fit(xs, ys, args); // creates the optimizer's slots
      const before = tf.memory().numTensors;
      await model.fit(xs, ys, { ...args, callbacks: [new TrackingCallback({ tf, logEvery: "batch", checkpoint: { monitor: "val_loss", keepBest: 1 } })] });
      expect(tf.memory().numTensors).toBe(before);
    });

    it("checkpoints a tf.sequential() as tfjs hands it to callbacks, or as the Sequential itself with `model`", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(16);
      const model = xorModel();
      await model.fit(xs, ys, { ...FIT, epochs: 1, callbacks: [new TrackingCallback({ tf, checkpoint: { name: "inner" } })] });
      await model.fit(xs, ys, { ...FIT, epochs: 1, callbacks: [new TrackingCallback({ tf, model, checkpoint: { name: "outer" } })] });
      const inner = await loadCheckpoint(run, { name: "inner", tf });
      const outer = await loadCheckpoint(run, { name: "outer", tf });
      expect(inner).not.toBeInstanceOf(tf.Sequential);
      expect(outer).toBeInstanceOf(tf.Sequential);
      expect(predict(outer, xs)).toEqual(predict(model, xs));
    });

    it("resumes a run: epoch steps, the global batch step and the checkpoints continue where they stopped", async () => {
      const root = tmp();
      const { xs, ys } = xorData(32);
      const reference = await xorModel().fit(xs, ys, { ...FIT, epochs: 5 });
      const policy = { monitor: "loss", keepLast: 2 };

      const run1 = await newRun(root);
      await xorModel().fit(xs, ys, { ...FIT, epochs: 3, callbacks: [new TrackingCallback({ tf, logEvery: "batch", checkpoint: policy })] });
      await run1.end();

      const run2 = await newRun(root, { runUuid: run1.uuid });
      expect(run2.resumed).toBe(true);
      const ckpt = await findCheckpoint(run2, { step: "latest" });
      expect(ckpt).toMatchObject({ step: 2, epoch: 2 });
      const model = await loadCheckpoint(run2, { step: ckpt.step, tf });
      const cb = new TrackingCallback({ tf, logEvery: "batch", checkpoint: policy });
      await model.fit(xs, ys, { ...FIT, epochs: 5, initialEpoch: ckpt.epoch! + 1, callbacks: [cb] });
      await run2.end();

      const p = run2.artifactsPath;
      expect(await steps(p, "metric", "loss")).toEqual([0, 1, 2, 3, 4]);
      expect(await values(p, "loss")).toEqual(reference.history.loss);
      expect(await steps(p, "metric", "batch_loss")).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(cb.globalStep).toBe(20);
      expect(await steps(p, "model", "model")).toEqual([0, 1, 2, 3, 4]);
      expect((await listCheckpoints(p)).map((c) => c.step)).toEqual([3, 4]);
      expect(modelRecord((await loadRun(p)).lineage)?.summary).toMatchObject({ versions: [3, 4], latest: { step: 4 } });
    });
  });
}

import { describe, beforeAll, expect, it } from "vitest";
import { fileIOHandler, findCheckpoint, listCheckpoints, loadCheckpoint, TrackingCallback } from "../../src/adapters/tfjs.js";
import { readFileSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { CorruptRunError, loadRun, readEvents } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";
import { newRun, predict, predictionsByEpoch, tf, useBackend, xorData, xorModel } from "./helpers.js";

const FIT = { batchSize: 8, shuffle: false, verbose: 0 } as const;

async function steps(runPath: string, kind: string, name: string): Promise<Array<number | null>> {
  return (await readEvents(runPath, kind, name)).map((r) => r.step);
}

async function values(runPath: string, name: string): Promise<number[]> {
  return (await readEvents(runPath, "metric", name)).map((r) => r.value);
}

async function streamSummary(runPath: string, name = "model"): Promise<Record<string, unknown> | undefined> {
  const rec = (await loadRun(runPath)).lineage.find((r) => r.kind === "model" && r.path === `events/model/${name}.plx`);
  return rec?.summary as Record<string, unknown> | undefined;
}

/**
 * XOR data whose validation labels are flipped: the better the model learns XOR, the worse its
 * val_loss, so the best checkpoint by val_loss is an early one and never the last.
 */
function flippedValidation(): { xs: tf.Tensor2D; ys: tf.Tensor2D; val: [tf.Tensor2D, tf.Tensor2D] } {
  const { xs, ys, valXs, valYs } = xorData(32);
  return { xs, ys, val: [valXs, tf.sub(1, valYs) as tf.Tensor2D] };
}

/** A callback that sets `model.stopTraining` at the end of epoch `at`. */
function stopAt(model: tf.LayersModel, at: number): tf.CustomCallback {
  return new tf.CustomCallback({
    onEpochEnd: (epoch) => {
      if (epoch === at) model.stopTraining = true;
    },
  });
}

/** The fit features tfjs lacks, on real training; run once per backend (each in its own file). */
export function describeFitFeatures(backend: "cpu" | "wasm"): void {
  describe(`TrackingCallback fit features (${backend} backend)`, () => {
    const tmp = useTmp();
    beforeAll(() => useBackend(backend));

    describe("restoreBestWeights", () => {
      const policy = { monitor: "val_loss", keepBest: 1, keepLast: 1, restoreBestWeights: true } as const;

      async function checkRestored(run: Awaited<ReturnType<typeof newRun>>, model: tf.LayersModel, xs: tf.Tensor, lastPredictions: number[] | undefined) {
        const best = await findCheckpoint(run, { step: "best" });
        const latest = await findCheckpoint(run, { step: "latest" });
        expect(best.step).toBeLessThan(latest.step);
        const fromDisk = await loadCheckpoint(run, { step: "best", tf });
        expect(predict(model, xs)).toEqual(predict(fromDisk, xs));
        expect(predict(model, xs)).not.toEqual(lastPredictions);
        await run.end();
        expect((await streamSummary(run.artifactsPath))?.restored).toEqual({
          step: best.step,
          path: `assets/model/model_${best.step}`,
          monitor: "val_loss",
          value: best.metrics.val_loss,
        });
        return best.step;
      }

      it("after all epochs, the model holds the best checkpoint's weights and the lineage names its step", async () => {
        const run = await newRun(tmp());
        const { xs, ys, val } = flippedValidation();
        const model = xorModel(0.1);
        const seen = predictionsByEpoch(model, xs);
        const cb = new TrackingCallback({ tf, checkpoint: policy });
        const h = await model.fit(xs, ys, { ...FIT, epochs: 6, validationData: val, callbacks: [cb, seen.callback] });
        expect(h.epoch).toEqual([0, 1, 2, 3, 4, 5]);
        const valLoss = h.history.val_loss as number[];
        const step = await checkRestored(run, model, xs, seen.byEpoch.get(5));
        expect(step).toBe(valLoss.indexOf(Math.min(...valLoss)));
        expect(predict(model, xs)).toEqual(seen.byEpoch.get(step));
        expect(cb.errors).toEqual([]);
      });

      it("when tfjs's own earlyStopping ends fit, in the same callbacks list (before or after the tracker)", async () => {
        for (const earlyFirst of [true, false]) {
          const run = await newRun(tmp());
          const { xs, ys, val } = flippedValidation();
          const model = xorModel(0.1);
          const seen = predictionsByEpoch(model, xs);
          const early = tf.callbacks.earlyStopping({ monitor: "val_loss", patience: 2 });
          const cb = new TrackingCallback({ tf, checkpoint: policy });
          const callbacks = earlyFirst ? [early, cb, seen.callback] : [cb, early, seen.callback];
          const h = await model.fit(xs, ys, { ...FIT, epochs: 50, validationData: val, callbacks });
          expect(h.epoch.length).toBeLessThan(50);
          const last = h.epoch[h.epoch.length - 1]!;
          const step = await checkRestored(run, model, xs, seen.byEpoch.get(last));
          expect(predict(model, xs)).toEqual(seen.byEpoch.get(step));
        }
      });

      it("when model.stopTraining ends fit", async () => {
        const run = await newRun(tmp());
        const { xs, ys, val } = flippedValidation();
        const model = xorModel(0.1);
        const seen = predictionsByEpoch(model, xs);
        const h = await model.fit(xs, ys, {
          ...FIT,
          epochs: 20,
          validationData: val,
          callbacks: [new TrackingCallback({ tf, checkpoint: policy }), seen.callback, stopAt(model, 3)],
        });
        expect(h.epoch).toEqual([0, 1, 2, 3]);
        await checkRestored(run, model, xs, seen.byEpoch.get(3));
      });

      it("a best checkpoint that cannot be read back rejects fit with CorruptRunError instead of keeping the last weights silently", async () => {
        await newRun(tmp());
        const { xs, ys, val } = flippedValidation();
        const cb = new TrackingCallback({ tf, checkpoint: policy });
        // Runs before the tracker's train end: damages the best checkpoint once it is written.
        const damage = new tf.CustomCallback({
          onTrainEnd: async () => {
            await cb.saved();
            truncateSync(join(cb.best()!.path, "weights.bin"), 10);
          },
        });
        const err = await xorModel(0.1)
          .fit(xs, ys, { ...FIT, epochs: 4, validationData: val, callbacks: [damage, cb] })
          .then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(CorruptRunError);
        expect((err as Error).message).toMatch(/cannot be decoded/);
      });

      it("leaves no tensors behind", async () => {
        await newRun(tmp());
        const { xs, ys, val } = flippedValidation();
        const model = xorModel(0.1);
        await model.fit(xs, ys, { ...FIT, epochs: 1, validationData: val }); // creates the optimizer's slots
        const before = tf.memory().numTensors;
        await model.fit(xs, ys, { ...FIT, epochs: 4, validationData: val, callbacks: [new TrackingCallback({ tf, checkpoint: policy })] });
        expect(tf.memory().numTensors).toBe(before);
      });

      it("without restoreBestWeights the model keeps its last weights and no step is recorded as restored", async () => {
        const run = await newRun(tmp());
        const { xs, ys, val } = flippedValidation();
        const model = xorModel(0.1);
        const seen = predictionsByEpoch(model, xs);
        await model.fit(xs, ys, { ...FIT, epochs: 4, validationData: val, callbacks: [new TrackingCallback({ tf, checkpoint: { monitor: "val_loss" } }), seen.callback] });
        expect(predict(model, xs)).toEqual(seen.byEpoch.get(3));
        await run.end();
        expect(await streamSummary(run.artifactsPath)).not.toHaveProperty("restored");
      });
    });

    it("every checkpoint (the first through model.save, the next from the model's weights one by one) has the bytes model.save writes", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(16);
      const model = xorModel();
      await model.fit(xs, ys, { ...FIT, epochs: 3, callbacks: [new TrackingCallback({ tf, model, checkpoint: true })] });
      const direct = join(tmp(), "direct");
      await model.save(fileIOHandler(direct), { includeOptimizer: true });
      const last = join(run.artifactsPath, "assets", "model", "model_2");
      expect(readFileSync(join(last, "weights.bin")).equals(readFileSync(join(direct, "weights.bin")))).toBe(true);
      expect(JSON.parse(readFileSync(join(last, "model.json"), "utf8"))).toEqual(JSON.parse(readFileSync(join(direct, "model.json"), "utf8")));
      const first = JSON.parse(readFileSync(join(run.artifactsPath, "assets", "model", "model_0", "model.json"), "utf8"));
      expect(Object.keys(first)).toEqual(Object.keys(JSON.parse(readFileSync(join(last, "model.json"), "utf8"))));
    });

    it("fitDataset: each epoch's values are its own (tfjs #984), equal to a fresh evaluation of that epoch's checkpoint", async () => {
      const run = await newRun(tmp());
      const { xs, ys, valXs, valYs } = xorData(32);
      const train = tf.data.zip({ xs: tf.data.array(xs.arraySync()), ys: tf.data.array(ys.arraySync()) }).batch(8);
      const val = tf.data.zip({ xs: tf.data.array(valXs.arraySync()), ys: tf.data.array(valYs.arraySync()) }).batch(8);
      const held: tf.Logs[] = [];
      const keepLogs = new tf.CustomCallback({ onEpochEnd: (_e, logs) => void held.push(logs!) });
      const h = await xorModel(0.1).fitDataset(train, {
        epochs: 4,
        validationData: val,
        verbose: 0,
        callbacks: [new TrackingCallback({ tf, logEvery: "batch", checkpoint: true }), keepLogs],
      });
      const p = run.artifactsPath;
      const loss = await values(p, "loss");
      const valLoss = await values(p, "val_loss");
      expect(await steps(p, "metric", "loss")).toEqual([0, 1, 2, 3]);
      expect(loss).toEqual(h.history.loss);
      expect(new Set(loss).size).toBe(4);
      // The epoch's loss is the mean of its 4 batches' losses (equal batch sizes).
      const batchLoss = await values(p, "batch_loss");
      expect(batchLoss).toHaveLength(16);
      loss.forEach((l, e) => expect(l).toBeCloseTo(batchLoss.slice(4 * e, 4 * e + 4).reduce((a, b) => a + b, 0) / 4, 5));
      // val_loss of epoch e is what the weights saved at epoch e score on the validation set.
      for (const e of [0, 1, 2, 3]) {
        const again = await loadCheckpoint(run, { step: e, tf });
        const scored = (await again.evaluateDataset(val as tf.data.Dataset<{}>, {})) as tf.Scalar[];
        expect(valLoss[e]).toBeCloseTo(scored[0]!.dataSync()[0]!, 5);
      }
      // A later callback that keeps tfjs's logs objects sees numbers, one object per epoch.
      expect(held.map((l) => l.loss)).toEqual(loss);
    });

    it("multi-output models: each output's loss and metrics under tfjs's own names, one of them monitored", async () => {
      const run = await newRun(tmp());
      const input = tf.input({ shape: [2] });
      const hidden = tf.layers.dense({ units: 8, activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
      const xorOut = tf.layers.dense({ units: 1, activation: "sigmoid", name: "xor", kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(hidden) as tf.SymbolicTensor;
      const sumOut = tf.layers.dense({ units: 1, name: "sum", kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(hidden) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: [xorOut, sumOut] });
      model.compile({ optimizer: tf.train.adam(0.05), loss: ["binaryCrossentropy", "meanSquaredError"], metrics: ["mse"] });
      const { xs, ys, valXs, valYs } = xorData(32);
      const sums = (t: tf.Tensor2D) => tf.sum(t, 1, true) as tf.Tensor2D;
      const cb = new TrackingCallback({ tf, checkpoint: { monitor: "val_xor_loss", keepBest: 1 } });
      const h = await model.fit(xs, [ys, sums(xs)], { ...FIT, epochs: 3, validationData: [valXs, [valYs, sums(valXs)]], callbacks: [cb] });
      const names = Object.keys(h.history).sort();
      expect(names).toEqual(expect.arrayContaining(["loss", "xor_loss", "sum_loss", "val_loss", "val_xor_loss", "val_sum_loss"]));
      expect(names.filter((n) => n.includes("mse"))).toHaveLength(4); // <output>_mse and val_<output>_mse for both outputs
      const logged = (await loadRun(run.artifactsPath)).streams.filter((s) => s.kind === "metric" && s.name !== "lr").map((s) => s.name).sort();
      expect(logged).toEqual(names);
      for (const name of names) expect(await values(run.artifactsPath, name)).toEqual(h.history[name]);
      const val = h.history.val_xor_loss as number[];
      expect(cb.best()?.step).toBe(val.indexOf(Math.min(...val)));
      expect(cb.errors).toEqual([]);
    });

    it("frozen layers (trainable: false) stay frozen after loadCheckpoint and when training resumes", async () => {
      const root = tmp();
      const { xs, ys } = xorData(32);
      const build = () => {
        const m = xorModel(0.05);
        m.layers[0]!.trainable = false;
        m.compile({ loss: "binaryCrossentropy", optimizer: tf.train.adam(0.05), metrics: ["acc"] });
        return m;
      };
      const reference = build();
      const initialFrozen = reference.layers[0]!.getWeights().map((w) => Array.from(w.dataSync()));
      const uninterrupted = await reference.fit(xs, ys, { ...FIT, epochs: 4 });

      const run1 = await newRun(root);
      const first = build();
      await first.fit(xs, ys, { ...FIT, epochs: 2, callbacks: [new TrackingCallback({ tf, checkpoint: true })] });
      await run1.end();

      const run2 = await newRun(root, { runUuid: run1.uuid });
      const ckpt = await findCheckpoint(run2, { step: "latest" });
      const loaded = await loadCheckpoint(run2, { step: ckpt.step, tf });
      const dense = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === "Dense");
      expect(dense(loaded).map((l) => l.trainable)).toEqual([false, true]);
      expect(loaded.trainableWeights).toHaveLength(2);
      const h = await loaded.fit(xs, ys, { ...FIT, epochs: 4, initialEpoch: ckpt.epoch! + 1, callbacks: [new TrackingCallback({ tf, checkpoint: true })] });
      await run2.end();
      expect(dense(loaded)[0]!.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(initialFrozen);
      expect(h.history.loss).toEqual(uninterrupted.history.loss!.slice(2));
      const again = await loadCheckpoint(run2, { tf });
      expect(dense(again).map((l) => l.trainable)).toEqual([false, true]);
      expect(await steps(run2.artifactsPath, "metric", "loss")).toEqual([0, 1, 2, 3]);
    });

    it("initialEpoch on resume continues the epoch steps and an { epochs: N } schedule as an uninterrupted run would", async () => {
      const root = tmp();
      const { xs, ys } = xorData(16);
      const every = { epochs: 2 } as const;
      const whole = await newRun(root);
      await xorModel().fit(xs, ys, { ...FIT, epochs: 6, callbacks: [new TrackingCallback({ tf, checkpoint: { every } })] });
      await whole.end();
      expect(await steps(whole.artifactsPath, "model", "model")).toEqual([1, 3, 5]);

      const run1 = await newRun(root);
      await xorModel().fit(xs, ys, { ...FIT, epochs: 4, callbacks: [new TrackingCallback({ tf, checkpoint: { every } })] });
      await run1.end();
      const run2 = await newRun(root, { runUuid: run1.uuid });
      const ckpt = await findCheckpoint(run2);
      expect(ckpt).toMatchObject({ step: 3, epoch: 3 });
      const model = await loadCheckpoint(run2, { tf });
      await model.fit(xs, ys, { ...FIT, epochs: 6, initialEpoch: ckpt.epoch! + 1, callbacks: [new TrackingCallback({ tf, checkpoint: { every } })] });
      await run2.end();
      expect(await steps(run2.artifactsPath, "metric", "loss")).toEqual([0, 1, 2, 3, 4, 5]);
      expect(await steps(run2.artifactsPath, "model", "model")).toEqual([1, 3, 5]);
      expect(await values(run2.artifactsPath, "loss")).toEqual(await values(whole.artifactsPath, "loss"));
    });

    it("one callback over two fits: each fit's epochs are counted from its initialEpoch", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(16);
      const model = xorModel();
      const cb = new TrackingCallback({ tf, checkpoint: { name: "twice" } });
      await model.fit(xs, ys, { ...FIT, epochs: 2, callbacks: [cb] });
      await model.fit(xs, ys, { ...FIT, epochs: 2, callbacks: [cb] }); // epochs 0 and 1 again
      await model.fit(xs, ys, { ...FIT, epochs: 4, initialEpoch: 2, callbacks: [cb] });
      expect(await steps(run.artifactsPath, "model", "twice")).toEqual([0, 1, 0, 1, 2, 3]);
    });

    it("every: { seconds } saves at the first epoch (or batch) end that far from the previous checkpoint", async () => {
      const run = await newRun(tmp());
      const { xs, ys } = xorData(32); // 4 batches per epoch
      let now = 0;
      const clock = () => now;
      // A first callback advances the fake clock by 100 s per batch.
      const tick = new tf.CustomCallback({ onBatchEnd: () => void (now += 100_000) });
      const byEpoch = new TrackingCallback({ tf, checkpoint: { name: "by-epoch", every: { seconds: 600 }, clock } });
      const byBatch = new TrackingCallback({ tf, checkpoint: { name: "by-batch", every: { batches: 10, seconds: 350 }, clock } });
      await xorModel().fit(xs, ys, { ...FIT, epochs: 6, callbacks: [tick, byEpoch, byBatch] });
      // Epoch ends at 400, 800, 1200, 1600, 2000, 2400 s: due at 800 (≥ 600 s after the start), 1600, 2400.
      expect(await steps(run.artifactsPath, "model", "by-epoch")).toEqual([1, 3, 5]);
      // Batch step n ends at 100·n s: due at each 10th step, or 350 s after the previous checkpoint.
      const expected = [4, 8, 10, 14, 18, 20, 24];
      expect(await steps(run.artifactsPath, "model", "by-batch")).toEqual(expected);
      expect((await listCheckpoints(run, { name: "by-batch" })).map((c) => c.step)).toEqual(expected);
    });
  });
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pyFloatRepr, pyTimestamp } from "../../src/core/events/pyformat.js";
import { CheckpointHook } from "../../src/adapters/checkpoint.js";
import { init } from "../../src/index.js";
import { makePng } from "./png.js";

/** What a fixture run was built with, so tests can compare the page and the CLI against it. */
export interface TrainingRunInfo {
  uuid: string;
  path: string;
  /** Folder name under the runs root (what URLs use). */
  id: string;
  name: string;
  epochs: number;
  loss: number[];
  acc: number[];
  /** Every checkpoint step logged, and its metrics. */
  modelSteps: number[];
  modelSpec: Map<number, { val_loss: number; val_acc: number }>;
  /** Checkpoints still on disk after the fixture's retention (best + last two). */
  keptSteps: number[];
  bestStep: number;
  imageSteps: number[];
}

/** Options of {@link makeTrainingRun}. */
export interface TrainingRunSpec {
  name: string;
  project?: string;
  /** Epochs = metric steps 1..epochs; checkpoints every 10. Default 50. */
  epochs?: number;
  /** Scales the loss curve so two runs differ. Default 1. */
  scale?: number;
  /** Epoch at which val_loss is lowest (the best checkpoint is the nearest multiple of 10). Default 30. */
  bestAt?: number;
  /** Time of step 0 (epoch ms); each epoch is one second later. */
  t0?: number;
  /** End status, or "running" to leave the run open. Default "succeeded". */
  status?: "succeeded" | "failed" | "running";
}

/**
 * Writes a realistic training run through the real API (`init`, `log*`, `CheckpointHook`):
 * loss/acc per epoch, val_loss/val_acc and a checkpoint every 10 epochs through the hook (best
 * by val_loss and the last two kept), ROC/PR/custom curves, confusion matrices, images by
 * step, an input data reference and a final exported model.
 */
export async function makeTrainingRun(offlineRoot: string, spec: TrainingRunSpec): Promise<TrainingRunInfo> {
  const epochs = spec.epochs ?? 50;
  const scale = spec.scale ?? 1;
  const bestAt = spec.bestAt ?? 30;
  const t0 = spec.t0 ?? Date.UTC(2025, 0, 15, 10, 0, 0);
  const run = await init({ offlineRoot, name: spec.name, project: spec.project ?? "fixtures", flushIntervalMs: 0, handleExit: false });
  const scratch = mkdtempSync(join(tmpdir(), "rt-fixture-src-"));
  const info: TrainingRunInfo = {
    uuid: run.uuid,
    path: run.artifactsPath,
    id: basename(run.artifactsPath),
    name: spec.name,
    epochs,
    loss: [],
    acc: [],
    modelSteps: [],
    modelSpec: new Map(),
    keptSteps: [],
    bestStep: 0,
    imageSteps: [],
  };
  try {
    await run.logArtifactRef({ path: "s3://datasets/mnist/train.csv", kind: "data", name: "train-data", isInput: true, hash: "0a1b2c3d4e5f" });
    // Checkpoints through the real hook: every 10 steps, ranked by val_loss, keeping the best
    // one and the last two (the others are removed from disk, their rows stay).
    const hook = new CheckpointHook({
      run,
      name: "model",
      framework: "onnx",
      every: { steps: 10 },
      monitor: "val_loss",
      keepBest: 1,
      keepLast: 2,
      save: async (dir, step) => writeFile(join(dir, "model.onnx"), Buffer.alloc(1000 * step, step)),
    });
    for (let step = 1; step <= epochs; step++) {
      const loss = scale * (2 / (1 + step / 5)) + 0.02 * Math.sin(step);
      const acc = Math.min(0.99, 1 - loss / (2 * scale) + 0.005 * Math.cos(step));
      const valLoss = loss + 0.05 + ((step - bestAt) / 40) ** 2;
      const timestamp = t0 + step * 1000;
      run.logMetric("loss", loss, { step, timestamp });
      run.logMetric("acc", acc, { step, timestamp });
      info.loss.push(loss);
      info.acc.push(acc);
      const valAcc = acc - 0.01;
      await hook.step(step, { val_loss: valLoss, val_acc: valAcc }); // logs both at this step
      if (step % 10 === 0) {
        info.modelSteps.push(step);
        info.modelSpec.set(step, { val_loss: valLoss, val_acc: valAcc });
      }
      if (step === 10 || step === 30 || step === 50) {
        const shade = Math.round((255 * step) / 50);
        await run.logImage("samples", makePng(32, (x, y) => [shade, (x * 8) % 256, (y * 8) % 256]), { step });
        info.imageSteps.push(step);
      }
      if (step === Math.round(epochs / 2) || step === epochs) {
        const yTrue = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
        const noise = step === epochs ? 0.6 : 0.9;
        const yScore = yTrue.map((t, i) => Math.min(1, Math.max(0, t * (1 - noise) + noise * ((i * 37) % 10) / 10)));
        run.logSklearnRocAucCurve("roc", yScore, yTrue, { step });
        run.logConfusionMatrix("confusion", ["cat", "dog", "bird"], ["cat", "dog", "bird"], step === epochs ? [[9, 1, 0], [1, 8, 1], [0, 2, 8]] : [[6, 3, 1], [3, 5, 2], [2, 3, 5]], { step });
        if (step === epochs) {
          run.logSklearnPrCurve("pr", yScore, yTrue, { step });
          run.logCurve("calibration", [0, 0.25, 0.5, 0.75, 1], [0, 0.2, 0.55, 0.7, 0.95], { step, annotation: "ece 0.04" });
        }
      }
    }
    await hook.close();
    info.bestStep = hook.best()!.step;
    info.keptSteps = hook.list().map((c) => c.step).sort((a, b) => a - b);
    const exported = join(scratch, "exported.onnx");
    writeFileSync(exported, Buffer.from("onnx-bytes"));
    await run.logModel({ path: exported, name: "exported", framework: "onnx", summary: { opset: 17 } });
    if (spec.status === "running") await run.flush();
    else await run.end({ status: spec.status ?? "succeeded" });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return info;
}

/**
 * A run with one metric stream of `n` points (`big_loss`): a smooth decay with one spike
 * (value 50 at `spikeAt`) that downsampling must keep. The run is made with `init()`; the
 * big file is then written in the documented format directly (`step|timestamp|metric`, Python
 * float and time formats), because ending a run summarises every event file, which would
 * cost seconds per test here.
 */
export async function makeBigMetricRun(offlineRoot: string, n: number): Promise<{ uuid: string; path: string; id: string; spikeAt: number; last: number }> {
  const run = await init({ offlineRoot, name: "big", project: "fixtures", flushIntervalMs: 0, handleExit: false });
  await run.end();
  const t0 = Date.UTC(2025, 0, 1);
  const spikeAt = Math.floor(n * 0.61);
  const value = (i: number): number => (i === spikeAt ? 50 : 1 / (1 + i / 1000) + 0.01 * Math.sin(i / 50));
  const dir = join(run.artifactsPath, "events", "metric");
  mkdirSync(dir, { recursive: true });
  const parts: string[] = ["step|timestamp|metric"];
  let second = -1;
  let prefix = "";
  for (let i = 0; i < n; i++) {
    const ms = t0 + i * 10;
    if (Math.floor(ms / 1000) !== second) {
      second = Math.floor(ms / 1000);
      prefix = pyTimestamp(second * 1000).slice(0, 19);
    }
    parts.push(`${i}|${prefix}.${String(ms % 1000).padStart(3, "0")}000+00:00|${pyFloatRepr(value(i))}`);
  }
  writeFileSync(join(dir, "big_loss.plx"), parts.join("\n"));
  return { uuid: run.uuid, path: run.artifactsPath, id: basename(run.artifactsPath), spikeAt, last: value(n - 1) };
}

/** An offline root (`<tmp>/plx`) with three runs: `baseline`, `wider` (compare) and `diverged` (failed). */
export async function makeFixtureRoot(): Promise<{ base: string; offlineRoot: string; runsRoot: string; baseline: TrainingRunInfo; wider: TrainingRunInfo; diverged: TrainingRunInfo }> {
  const base = mkdtempSync(join(tmpdir(), "rt-ui-"));
  const offlineRoot = join(base, "plx");
  const baseline = await makeTrainingRun(offlineRoot, { name: "baseline", t0: Date.UTC(2025, 0, 15, 10) });
  const wider = await makeTrainingRun(offlineRoot, { name: "wider", scale: 0.7, bestAt: 40, t0: Date.UTC(2025, 0, 15, 11) });
  const diverged = await makeTrainingRun(offlineRoot, { name: "diverged", scale: 1.5, epochs: 20, status: "failed", t0: Date.UTC(2025, 0, 15, 12) });
  return { base, offlineRoot, runsRoot: join(offlineRoot, "runs"), baseline, wider, diverged };
}

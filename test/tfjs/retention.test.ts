import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TrackingCallback, UnknownMonitorError, type CheckpointOptions } from "../../src/adapters/tfjs.js";
import { loadRun, readEvents, type Run } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";
import { newRun, tf, useBackend, xorModel } from "./helpers.js";

/** Steps of the checkpoint folders on disk. */
function onDisk(run: Run, name = "model"): number[] {
  const dir = join(run.artifactsPath, "assets", "model");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => Number(f.slice(name.length + 1)))
    .sort((a, b) => a - b);
}

async function lineageSummary(run: Run): Promise<Record<string, any> | undefined> {
  return (await loadRun(run.artifactsPath)).lineage.find((r) => r.path === "events/model/model.plx")?.summary;
}

/**
 * Drives the callback's hooks as tfjs does, with scripted epoch logs, on a real model (the
 * checkpoints are real saves); returns the checkpoint steps on disk after each epoch.
 */
async function drive(run: Run, checkpoint: CheckpointOptions, logs: Array<Record<string, number>>, firstEpoch = 0): Promise<number[][]> {
  const cb = new TrackingCallback({ run, tf, checkpoint });
  cb.setModel(xorModel());
  cb.setParams({ epochs: firstEpoch + logs.length, batchSize: 4 });
  await cb.onTrainBegin();
  const after: number[][] = [];
  for (const [i, l] of logs.entries()) {
    await cb.onEpochEnd(firstEpoch + i, { ...l });
    await cb.saved();
    after.push(onDisk(run));
  }
  await cb.onTrainEnd();
  expect(cb.errors).toEqual([]);
  return after;
}

const series = (name: string, vs: number[]) => vs.map((v) => ({ loss: 1, [name]: v }));

describe("checkpoint selection and retention (scripted epoch logs, real saves)", () => {
  const tmp = useTmp();
  beforeAll(() => useBackend("cpu"));

  it("min (val_loss, auto): keepBest 2 follows the best values through a worse-then-better sequence", async () => {
    const run = await newRun(tmp());
    const after = await drive(run, { monitor: "val_loss", keepBest: 2 }, series("val_loss", [0.9, 0.5, 0.7, 0.8, 0.3, 0.6]));
    expect(after).toEqual([[0], [0, 1], [1, 2], [1, 2], [1, 4], [1, 4]]);
    expect(await lineageSummary(run)).toMatchObject({ best: { step: 4, monitor: "val_loss", value: 0.3, path: "assets/model/model_4" }, versions: [1, 4] });
  });

  it("max (val_acc, auto): keepBest 2 keeps the highest values", async () => {
    const run = await newRun(tmp());
    const after = await drive(run, { monitor: "val_acc", keepBest: 2 }, series("val_acc", [0.6, 0.8, 0.7, 0.65, 0.9, 0.75]));
    expect(after).toEqual([[0], [0, 1], [1, 2], [1, 2], [1, 4], [1, 4]]);
    expect(await lineageSummary(run)).toMatchObject({ best: { step: 4, value: 0.9 }, versions: [1, 4] });
  });

  it("an explicit mode wins over the name: mode max on val_f1", async () => {
    const run = await newRun(tmp());
    const after = await drive(run, { monitor: "val_f1", mode: "max", keepBest: 1 }, series("val_f1", [0.2, 0.6, 0.4, 0.7, 0.1]));
    expect(after).toEqual([[0], [1], [1], [3], [3]]);
  });

  it("saveBestOnly (min) compares with the best so far, never just the previous epoch", async () => {
    const run = await newRun(tmp());
    const after = await drive(run, { monitor: "val_loss", saveBestOnly: true }, series("val_loss", [0.9, 0.5, 0.7, 0.6, 0.3, 0.4]));
    expect(after.at(-1)).toEqual([0, 1, 4]); // 0.6 beats the previous 0.7 but not the best 0.5
    expect((await readEvents(run.artifactsPath, "model", "model")).map((r) => r.step)).toEqual([0, 1, 4]);
  });

  it("saveBestOnly (max)", async () => {
    const run = await newRun(tmp());
    const after = await drive(run, { monitor: "acc", saveBestOnly: true }, series("acc", [0.5, 0.7, 0.6, 0.65, 0.9]));
    expect(after.at(-1)).toEqual([0, 1, 4]);
  });

  it("keepLast and keepBest together keep the union of both sets", async () => {
    const run = await newRun(tmp());
    const after = await drive(run, { monitor: "val_loss", keepLast: 2, keepBest: 1 }, series("val_loss", [0.4, 0.9, 0.8, 0.7, 0.6]));
    expect(after).toEqual([[0], [0, 1], [0, 1, 2], [0, 2, 3], [0, 3, 4]]);
    expect(await lineageSummary(run)).toMatchObject({ best: { step: 0 }, versions: [0, 3, 4] });
  });

  it("a resumed run keeps comparing with the best value of its earlier sessions", async () => {
    const root = tmp();
    const run1 = await newRun(root);
    await drive(run1, { monitor: "val_loss", saveBestOnly: true }, series("val_loss", [0.5, 0.3, 0.4]));
    await run1.end();
    const run2 = await newRun(root, { runUuid: run1.uuid });
    const after = await drive(run2, { monitor: "val_loss", saveBestOnly: true }, series("val_loss", [0.35, 0.2]), 3);
    expect(after).toEqual([[0, 1], [0, 1, 4]]); // 0.35 is worse than 0.3 from the first session
    expect(await lineageSummary(run2)).toMatchObject({ best: { step: 4, value: 0.2 } });
  });

  it("an unknown monitor is an UnknownMonitorError at the first epoch end, after the epoch's metrics are logged", async () => {
    const run = await newRun(tmp());
    const cb = new TrackingCallback({ run, tf, checkpoint: { monitor: "val_loss" } });
    cb.setModel(xorModel());
    cb.setParams({ epochs: 2 });
    await cb.onTrainBegin();
    const err = await cb.onEpochEnd(0, { loss: 0.5, acc: 0.7 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownMonitorError);
    expect((err as UnknownMonitorError).message).toMatch(/monitor "val_loss" is not among the metrics reported at this step \("loss", "acc"\)/);
    await run.flush();
    expect((await readEvents(run.artifactsPath, "metric", "loss")).map((r) => r.value)).toEqual([0.5]);
    expect(onDisk(run)).toEqual([]);
  });
});

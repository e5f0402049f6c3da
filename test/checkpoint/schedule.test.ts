import { describe, expect, it } from "vitest";
import { readEvents, type Run } from "../../src/index.js";
import { CheckpointHook, type SaveEvery } from "../../src/adapters/checkpoint.js";
import { SaveSchedule } from "../../src/core/checkpoint-schedule.js";
import { saveWeights, trainer } from "../fixtures/checkpoint-trainer.js";
import { loadVersions, modelAssets, modelRecord, stagingEntries, versionsOnDisk, useTempRuns } from "../fixtures/checkpoint-run.js";

const newRun = useTempRuns();

/**
 * Trains logistic regression for the given steps, checkpointing with the hook; `tick(step)`
 * advances the fake clock before each step. Returns the weights the model had at each step.
 */
async function trainLoop(run: Run, every: SaveEvery, steps: number[], tick: (step: number) => number = () => 0) {
  let now = 0;
  const t = trainer();
  const paramsAt = new Map<number, Float32Array>();
  const hook = new CheckpointHook({
    run,
    name: "clf",
    framework: "custom",
    every,
    clock: () => now,
    save: (dir, step) => saveWeights(dir, t.model.params, step),
  });
  for (const step of steps) {
    now += tick(step);
    const metrics = t.step(step);
    paramsAt.set(step, t.model.params.slice());
    await hook.step(step, metrics);
  }
  await hook.close();
  await run.end();
  return { hook, paramsAt };
}

/** Disk, lineage, event rows and saved weights all say the same versions, each with its own step's weights. */
async function expectVersions(run: Run, paramsAt: Map<number, Float32Array>, expected: number[]) {
  const path = run.artifactsPath;
  expect(versionsOnDisk(path, "clf")).toEqual(expected);
  expect(modelAssets(path)).toEqual(expected.map((s) => `clf_${s}`).sort());
  expect(stagingEntries(path)).toEqual([]);
  const rec = await modelRecord(path, "clf");
  expect(rec?.framework).toBe("custom");
  expect(rec?.versions).toEqual(expected);
  expect(rec?.latest?.step).toBe(expected[expected.length - 1]);
  expect(rec?.latest?.path).toBe(`assets/model/clf_${expected[expected.length - 1]}`);
  expect(rec?.latest?.hash).toMatch(/\S/);
  const rows = await readEvents(path, "model", "clf");
  expect(rows.map((r) => r.step)).toEqual(expected);
  for (const [step, params] of await loadVersions(path, "clf")) expect(params).toEqual(paramsAt.get(step));
}

const range = (from: number, to: number, by = 1) => Array.from({ length: Math.floor((to - from) / by) + 1 }, (_, i) => from + i * by);

describe("CheckpointHook schedule in a real training loop", () => {
  it("every N steps saves at each multiple of N, with the weights of that step", async () => {
    const run = await newRun();
    const { hook, paramsAt } = await trainLoop(run, { steps: 5 }, range(1, 23));
    await expectVersions(run, paramsAt, [5, 10, 15, 20]);
    expect(hook.latest()?.step).toBe(20);
    expect(hook.latest()?.path).toBe(`${run.artifactsPath}/assets/model/clf_20`);
  });

  it("counts from step 0 without saving at step 0", async () => {
    const run = await newRun();
    const { paramsAt } = await trainLoop(run, { steps: 4 }, range(0, 9));
    await expectVersions(run, paramsAt, [4, 8]);
  });

  it("saves at the first step past a multiple when the loop skips steps", async () => {
    const run = await newRun();
    const { paramsAt } = await trainLoop(run, { steps: 5 }, range(3, 30, 3));
    await expectVersions(run, paramsAt, [6, 12, 15, 21, 27, 30]);
  });

  it("every S seconds follows the injected clock, restarting the interval at each save", async () => {
    const run = await newRun();
    const { paramsAt } = await trainLoop(run, { seconds: 2 }, range(1, 12), () => 700);
    // 700 ms per step: due at 2100 ms (step 3), then 2100 ms after each save.
    await expectVersions(run, paramsAt, [3, 6, 9, 12]);
  });

  it("steps and seconds together: either one makes a checkpoint due and a save restarts the timer", async () => {
    const run = await newRun();
    // Fast steps (100 ms) for 1..10, then slow ones (1500 ms).
    const { paramsAt } = await trainLoop(run, { steps: 5, seconds: 2 }, range(1, 20), (s) => (s <= 10 ? 100 : 1500));
    await expectVersions(run, paramsAt, [5, 10, 12, 14, 15, 17, 19, 20]);
  });

  it("logs every step's metrics through the core at that step", async () => {
    const run = await newRun();
    await trainLoop(run, { steps: 3 }, range(1, 7));
    const rows = await readEvents(run.artifactsPath, "metric", "val_loss");
    expect(rows.map((r) => r.step)).toEqual(range(1, 7));
    expect(rows.every((r) => typeof r.value === "number" && r.value > 0)).toBe(true);
  });
});

describe("SaveSchedule", () => {
  it("does not fire twice for the same multiple and restarts the seconds interval only when it fires", () => {
    let now = 0;
    const s = new SaveSchedule({ steps: 10, seconds: 5 }, () => now);
    const fired: number[] = [];
    for (const step of [1, 9, 10, 10, 11, 19, 25, 26]) {
      now += 2000;
      const due = s.due(step);
      if (due) fired.push(step);
      s.advance(step, due);
    }
    // 2 s per call: 10 (multiple), 19 (6 s after 10), 25 (passes 20); 26 is only 2 s after 25.
    expect(fired).toEqual([10, 19, 25]);
  });

  it("continues a resumed loop from its start step", () => {
    const s = new SaveSchedule({ steps: 10 }, () => 0, 20);
    expect(s.due(21)).toBe(false);
    expect(s.due(30)).toBe(true);
  });
});

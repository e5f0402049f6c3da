import { describe, expect, it } from "vitest";
import { readEvents } from "../../src/index.js";
import { CheckpointHook, UnknownMonitorError, type CheckpointHookOptions } from "../../src/adapters/checkpoint.js";
import { saveWeights, trainer } from "../fixtures/checkpoint-trainer.js";
import { loadVersions, modelRecord, versionsOnDisk, useTempRuns } from "../fixtures/checkpoint-run.js";

const newRun = useTempRuns();

/** Two steps of gradient *ascent* (6 and 7) make the validation loss worse until step 12 beats step 5. */
const spikyLr = (step: number) => (step === 6 || step === 7 ? -1.5 : 0.5);

type Policy = Pick<CheckpointHookOptions, "monitor" | "mode" | "keepLast" | "keepBest" | "saveBestOnly">;

/** An independent reading of the documented rules: keepLast newest ∪ keepBest best (earlier step wins a tie). */
function expectedRetained(saved: Array<{ step: number; value: number }>, p: Policy, mode: "min" | "max"): number[] {
  if (p.keepLast === undefined && p.keepBest === undefined) return saved.map((s) => s.step);
  const keep = new Set<number>();
  [...saved].sort((a, b) => b.step - a.step).slice(0, p.keepLast ?? 0).forEach((s) => keep.add(s.step));
  rank(saved, mode).slice(0, p.keepBest ?? 0).forEach((s) => keep.add(s.step));
  return [...keep].sort((a, b) => a - b);
}

function rank(saved: Array<{ step: number; value: number }>, mode: "min" | "max") {
  return [...saved].sort((a, b) => (mode === "min" ? a.value - b.value : b.value - a.value) || a.step - b.step);
}

/**
 * A real training loop checkpointing at every step under `policy`; after each step the disk,
 * the lineage record and `hook.best()` are compared with the expected selection.
 */
async function runPolicy(policy: Policy, mode: "min" | "max", steps: number, extra: (m: Record<string, number>) => Record<string, number> = (m) => m) {
  const run = await newRun();
  const t = trainer(7, spikyLr);
  const paramsAt = new Map<number, Float32Array>();
  const hook = new CheckpointHook({
    run,
    name: "clf",
    framework: "custom",
    every: { steps: 1 },
    ...policy,
    save: (dir, step) => saveWeights(dir, t.model.params, step),
  });
  const seen: Array<{ step: number; value: number }> = [];
  const saved: Array<{ step: number; value: number }> = [];
  const history: Record<number, number[]> = {};
  for (let step = 1; step <= steps; step++) {
    const metrics = extra(t.step(step));
    paramsAt.set(step, t.model.params.slice());
    const value = metrics[policy.monitor!]!;
    const best = rank(saved, mode)[0];
    const improves = best === undefined || (mode === "min" ? value < best.value : value > best.value);
    await hook.step(step, metrics);
    seen.push({ step, value });
    if (!policy.saveBestOnly || improves) saved.push({ step, value });

    const want = expectedRetained(saved, policy, mode);
    history[step] = want;
    expect(versionsOnDisk(run.artifactsPath, "clf"), `disk after step ${step}`).toEqual(want);
    const rec = await modelRecord(run.artifactsPath, "clf");
    expect(rec?.versions, `lineage versions after step ${step}`).toEqual(want);
    const bestKept = rank(saved.filter((s) => want.includes(s.step)), mode)[0]!;
    expect(rec?.best, `lineage best after step ${step}`).toMatchObject({ step: bestKept.step, monitor: policy.monitor, value: bestKept.value });
    expect(rec?.best?.path).toBe(`assets/model/clf_${bestKept.step}`);
    expect(hook.best()?.step).toBe(bestKept.step);
    expect(hook.bestValue).toBe(rank(saved, mode)[0]!.value);
  }
  await hook.close();
  await run.end();
  for (const [step, params] of await loadVersions(run.artifactsPath, "clf")) expect(params).toEqual(paramsAt.get(step));
  const rows = await readEvents(run.artifactsPath, "model", "clf");
  expect(rows.map((r) => r.step)).toEqual(saved.map((s) => s.step));
  return { run, hook, seen, history };
}

describe("CheckpointHook selection and retention in a real training loop", () => {
  it("the training really gets worse, then better than before", async () => {
    const t = trainer(7, spikyLr);
    const v = Array.from({ length: 14 }, (_, i) => t.step(i + 1).val_loss!);
    expect(v[5]).toBeGreaterThan(v[4]!); // step 6 worse than step 5
    expect(Math.min(...v.slice(5, 11))).toBeGreaterThan(v[4]!); // 6..11 all worse than 5
    expect(v[11]).toBeLessThan(v[4]!); // step 12 beats step 5
  });

  it("keepBest ∪ keepLast with min (auto for val_loss) keeps the old best through a bad stretch", async () => {
    const { history } = await runPolicy({ monitor: "val_loss", keepBest: 2, keepLast: 2 }, "min", 14);
    expect(history[10]).toEqual([4, 5, 9, 10]); // best two 5 and 4, last two 9 and 10
    expect(history[11]).toEqual([5, 10, 11]); // 11 beats 4: best two 5 and 11
    expect(history[12]).toEqual([5, 11, 12]); // 12 is the new best, 5 still second
    expect(history[14]).toEqual([13, 14]);
  });

  it("keepBest alone with mode max keeps the highest value", async () => {
    const { history, hook } = await runPolicy({ monitor: "val_score", mode: "max", keepBest: 1 }, "max", 14, (m) => ({ ...m, val_score: 1 - m.val_loss! }));
    expect(history[11]).toEqual([5]);
    expect(history[12]).toEqual([12]);
    expect(hook.best()?.metrics.val_score).toBeCloseTo(1 - hook.best()!.metrics.val_loss!, 12);
  });

  it('mode "auto" ranks an accuracy as higher-is-better; the earlier of equal values is the best', async () => {
    const { seen, history } = await runPolicy({ monitor: "val_acc", keepBest: 1, keepLast: 1 }, "max", 14);
    const top = Math.max(...seen.map((s) => s.value));
    const first = seen.find((s) => s.value === top)!.step;
    expect(seen.filter((s) => s.value === top).length).toBeGreaterThan(1); // there are ties
    expect(history[14]).toEqual([first, 14]);
  });

  it("saveBestOnly saves only improvements on the best so far, never just on the previous step", async () => {
    const { history } = await runPolicy({ monitor: "val_loss", saveBestOnly: true }, "min", 14);
    expect(history[11]).toEqual([1, 2, 3, 4, 5]); // 8..11 improve on the previous step but not on 5
    expect(history[14]).toEqual([1, 2, 3, 4, 5, 12, 13, 14]);
  });

  it("saveBestOnly with keepLast keeps only the newest improvement", async () => {
    const { history } = await runPolicy({ monitor: "val_loss", saveBestOnly: true, keepLast: 1 }, "min", 14);
    expect(history[11]).toEqual([5]);
    expect(history[12]).toEqual([12]);
  });

  it("saveBestOnly compares with the saved best only at steps the schedule makes due", async () => {
    const run = await newRun();
    const t = trainer(7, spikyLr);
    const hook = new CheckpointHook({
      run,
      name: "clf",
      framework: "custom",
      every: { steps: 3 },
      monitor: "val_loss",
      saveBestOnly: true,
      save: (dir, step) => saveWeights(dir, t.model.params, step),
    });
    for (let step = 1; step <= 14; step++) await hook.step(step, t.step(step));
    await hook.close();
    // due at 3, 6, 9, 12: 6 and 9 are worse than 3; 12 beats 3 (5 was better still, but never due).
    expect(versionsOnDisk(run.artifactsPath, "clf")).toEqual([3, 12]);
    expect((await modelRecord(run.artifactsPath, "clf"))?.best?.step).toBe(12);
    await run.end();
  });

  it("needs the monitored metric only at steps where a checkpoint is due", async () => {
    const run = await newRun();
    const t = trainer();
    const hook = new CheckpointHook({
      run,
      name: "clf",
      framework: "custom",
      every: { steps: 2 },
      monitor: "val_loss",
      keepBest: 1,
      save: (dir, step) => saveWeights(dir, t.model.params, step),
    });
    for (let step = 1; step <= 4; step++) {
      const { loss, val_loss } = t.step(step);
      await hook.step(step, step % 2 === 0 ? { loss: loss!, val_loss: val_loss! } : { loss: loss! });
    }
    const err = await hook.step(6, { loss: 0.1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownMonitorError);
    expect(err).toMatchObject({ code: "RUNTRAIL_INVALID_VALUE", value: "val_loss" });
    expect((err as Error).message).toContain('"loss"');
    await hook.close();
    await run.end();
    // The refused step was not recorded.
    expect((await readEvents(run.artifactsPath, "metric", "loss")).map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(versionsOnDisk(run.artifactsPath, "clf")).toHaveLength(1);
  });
});

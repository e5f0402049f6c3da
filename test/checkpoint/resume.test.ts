import { afterEach, describe, expect, it } from "vitest";
import { init, readEvents } from "../../src/index.js";
import { CheckpointHook, type CheckpointHookOptions } from "../../src/adapters/checkpoint.js";
import { loadWeights, saveWeights, trainer, referenceRun } from "../fixtures/checkpoint-trainer.js";
import { loadVersions, modelRecord, removeTemp, tempRoot, versionsOnDisk } from "../fixtures/checkpoint-run.js";

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeTemp));

const spikyLr = (step: number) => (step === 6 || step === 7 ? -1.5 : 0.5);

const reference = (steps: number) => referenceRun(steps, 7, spikyLr);

type Policy = Omit<CheckpointHookOptions, "run" | "save" | "name" | "framework">;

/** One session of the loop: a run (new, or resumed by uuid), a hook, steps `from..to`, end. */
async function session(root: string, policy: Policy, from: number, to: number, uuid?: string, restore = false) {
  const run = await init({ offlineRoot: root, handleExit: false, flushIntervalMs: 0, ...(uuid !== undefined && { runUuid: uuid }) });
  const t = trainer(7, spikyLr);
  const hook = new CheckpointHook({ run, name: "clf", framework: "custom", ...policy, save: (dir, step) => saveWeights(dir, t.model.params, step) });
  const before = { latest: hook.latest(), best: hook.best(), bestValue: hook.bestValue };
  let start = from;
  if (restore) {
    const info = await hook.restore(async (path) => t.model.params.set((await loadWeights(path)).params));
    start = info!.step + 1;
  }
  const metrics: Array<Record<string, number>> = [];
  for (let s = start; s <= to; s++) {
    const m = t.step(s);
    metrics[s] = m;
    await hook.step(s, m);
  }
  await hook.close();
  await run.end();
  return { run, hook, before, start, metrics, t };
}

describe("CheckpointHook on a resumed run", () => {
  it("a new hook on init({ runUuid }) sees latest and best; restore() continues the same training", async () => {
    const root = tempRoot();
    roots.push(root);
    const ref = reference(20);
    const policy: Policy = { every: { steps: 2 }, monitor: "val_loss", keepBest: 1, keepLast: 1 };
    const first = await session(root, policy, 1, 8);
    expect(versionsOnDisk(first.run.artifactsPath, "clf")).toEqual([4, 8]); // 2, 4, 6, 8 saved; 4 is the best

    const second = await session(root, policy, 1, 20, first.run.uuid, true);
    expect(second.run.artifactsPath).toBe(first.run.artifactsPath);
    expect(second.before.latest?.step).toBe(8);
    expect(second.before.best?.step).toBe(4);
    expect(second.before.best?.path).toBe(`${first.run.artifactsPath}/assets/model/clf_4`);
    expect(second.before.best?.metrics).toEqual(ref.metrics[4]);
    expect(second.before.bestValue).toBe(ref.metrics[4]!.val_loss);
    expect(second.start).toBe(9);
    for (let s = 9; s <= 20; s++) expect(second.metrics[s]).toEqual(ref.metrics[s]);

    const path = first.run.artifactsPath;
    expect(versionsOnDisk(path, "clf")).toEqual([20]);
    expect((await loadVersions(path, "clf")).get(20)).toEqual(ref.params[20]);
    const rec = await modelRecord(path, "clf");
    expect(rec).toMatchObject({ framework: "custom", versions: [20], latest: { step: 20, path: "assets/model/clf_20" }, best: { step: 20, monitor: "val_loss" } });
    // Polyaxon's count is of rows: 10 versions and 8 companion rows marking pruned ones (docs/polyaxon.md).
    expect(rec?.step).toEqual({ count: 18, min: 2, max: 20 });
    expect((await readEvents(path, "model", "clf")).map((r) => r.step)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect((await readEvents(path, "metric", "val_loss")).map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("saveBestOnly continues from the best value of the earlier session", async () => {
    const root = tempRoot();
    roots.push(root);
    const policy: Policy = { every: { steps: 1 }, monitor: "val_loss", saveBestOnly: true };
    const first = await session(root, policy, 1, 5);
    const second = await session(root, policy, 1, 12, first.run.uuid, true);
    expect(second.start).toBe(6);
    // 6..11 are worse than 5 (saved in the first session), so the next save is 12.
    expect((await readEvents(first.run.artifactsPath, "model", "clf")).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 12]);
    expect(second.hook.bestValue).toBe(second.metrics[12]!.val_loss);
  });

  it('restore({ which: "best" }) loads the best version; steps continue from there', async () => {
    const root = tempRoot();
    roots.push(root);
    const ref = reference(8);
    const first = await session(root, { every: { steps: 2 }, monitor: "val_loss", keepBest: 1, keepLast: 1 }, 1, 8);
    const run = await init({ offlineRoot: root, runUuid: first.run.uuid, handleExit: false });
    const hook = new CheckpointHook({ run, name: "clf", framework: "custom", every: { steps: 2 }, monitor: "val_loss", save: async () => {} });
    const loaded: Array<{ path: string; step: number }> = [];
    const info = await hook.restore(
      async (path, i) => {
        loaded.push({ path, step: (await loadWeights(path)).step });
        expect((await loadWeights(path)).params).toEqual(ref.params[i.step]);
      },
      { which: "best" },
    );
    expect(info?.step).toBe(4);
    expect(loaded).toEqual([{ path: `${run.artifactsPath}/assets/model/clf_4`, step: 4 }]);
    await expect(hook.step(3, {})).rejects.toThrow(/step 3 is lower than the previous step 4/);
    await hook.step(5, { val_loss: 1 });
    await hook.close();
    await run.end();
  });

  it("without restore(), a resumed hook refuses steps before its latest checkpoint", async () => {
    const root = tempRoot();
    roots.push(root);
    const first = await session(root, { every: { steps: 3 } }, 1, 7);
    const run = await init({ offlineRoot: root, runUuid: first.run.uuid, handleExit: false });
    const hook = new CheckpointHook({ run, name: "clf", framework: "custom", every: { steps: 3 }, save: (dir, s) => saveWeights(dir, new Float32Array(2), s) });
    const err = await hook.step(0, { loss: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RUNTRAIL_INVALID_VALUE", value: { step: 0, previous: 6 } });
    expect((err as Error).message).toContain("hook.restore(load)");
    await hook.step(7, { loss: 1 });
    await hook.step(9, { loss: 1 });
    await hook.close();
    await run.end();
    expect(versionsOnDisk(run.artifactsPath, "clf")).toEqual([3, 6, 9]);
  });
});

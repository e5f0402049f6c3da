import { describe, expect, it } from "vitest";
import { readEvents, type Run } from "../../src/index.js";
import { CheckpointHook, CheckpointSaveError, type CheckpointHookOptions } from "../../src/adapters/checkpoint.js";
import { saveWeights, trainer } from "../fixtures/checkpoint-trainer.js";
import { deferred, loadVersions, macrotask, modelRecord, stagingEntries, versionsOnDisk, useTempRuns } from "../fixtures/checkpoint-run.js";

const newRun = useTempRuns();

/** Lets every settled promise chain run (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await macrotask();
}

/**
 * A real training loop whose saves wait for the test: `gate(step)` is released (or failed) by
 * hand, so the test controls the order in which saves finish. Everything observable goes to `log`.
 */
function setup(run: Run, opts: Partial<CheckpointHookOptions<Float32Array>> = {}, lr?: (step: number) => number) {
  const t = trainer(7, lr);
  const log: string[] = [];
  const gates = new Map<number, ReturnType<typeof deferred<void>>>();
  const gate = (step: number) => {
    if (!gates.has(step)) gates.set(step, deferred());
    return gates.get(step)!;
  };
  const paramsAt = new Map<number, Float32Array>();
  const hook = new CheckpointHook({
    run,
    name: "clf",
    framework: "custom",
    every: { steps: 2 },
    background: true,
    ...opts,
    snapshot: (step) => {
      log.push(`snapshot ${step}`);
      return t.model.params.slice();
    },
    save: async (dir, step, params) => {
      log.push(`save-start ${step}`);
      await gate(step).promise;
      await saveWeights(dir, params, step);
      log.push(`save-end ${step}`);
    },
  });
  const step = async (s: number) => {
    const metrics = t.step(s);
    paramsAt.set(s, t.model.params.slice());
    await hook.step(s, metrics);
    log.push(`step ${s}`);
  };
  return { hook, log, gate, paramsAt, step, t };
}

describe("CheckpointHook background mode", () => {
  it("keeps the loop going while a save is blocked, replaces the queued request, and close() waits", async () => {
    const run = await newRun();
    const { hook, log, gate, paramsAt, step } = setup(run);
    for (let s = 1; s <= 10; s++) await step(s);

    // Every step returned while the save of step 2 is still blocked.
    for (let s = 1; s <= 10; s++) expect(log).toContain(`step ${s}`);
    expect(log.filter((e) => e.startsWith("save-"))).toEqual(["save-start 2"]);
    expect(log.indexOf("save-start 2")).toBeLessThan(log.indexOf("step 3"));
    // Each due step captured its state inside step(), before step() returned.
    for (const s of [2, 4, 6, 8, 10]) expect(log.indexOf(`snapshot ${s}`)).toBeLessThan(log.indexOf(`step ${s}`));
    expect(hook.latest()).toBeUndefined();

    const closing = hook.close().then(() => log.push("closed"));
    await settle();
    expect(log).not.toContain("closed"); // close() waits for the blocked save
    gate(10).resolve();
    gate(2).resolve();
    await closing;

    // 4, 6 and 8 were each replaced by a newer request while 2 was in flight; 10 ran after 2.
    expect(log.filter((e) => e.startsWith("save-") || e === "closed")).toEqual(["save-start 2", "save-end 2", "save-start 10", "save-end 10", "closed"]);
    expect(versionsOnDisk(run.artifactsPath, "clf")).toEqual([2, 10]);
    expect((await modelRecord(run.artifactsPath, "clf"))?.versions).toEqual([2, 10]);
    expect(hook.latest()?.step).toBe(10);
    // The snapshot taken at step 2 was written, although the loop trained 8 more steps meanwhile.
    const saved = await loadVersions(run.artifactsPath, "clf");
    expect(saved.get(2)).toEqual(paramsAt.get(2));
    expect(saved.get(2)).not.toEqual(paramsAt.get(10));
    expect(saved.get(10)).toEqual(paramsAt.get(10));
    await run.end();
  });

  it("a failed background save is thrown by the next step(), which records nothing; the loop can go on", async () => {
    const run = await newRun();
    const { hook, gate, step, t } = setup(run);
    for (let s = 1; s <= 3; s++) await step(s);
    const disk = new Error("ENOSPC: no space left on device");
    gate(2).reject(disk);
    await settle();

    const metrics4 = t.step(4);
    const err = await hook.step(4, metrics4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointSaveError);
    expect(err).toMatchObject({ name: "CheckpointSaveError", code: "RUNTRAIL_CHECKPOINT_SAVE_FAILED", value: { name: "clf", step: 2 } });
    expect((err as Error).cause).toBe(disk);
    expect((err as Error).message).toContain("ENOSPC");

    gate(4).resolve();
    await hook.step(4, metrics4); // reported once; the same step goes through now
    await hook.close();
    await run.end();
    expect(versionsOnDisk(run.artifactsPath, "clf")).toEqual([4]);
    expect(stagingEntries(run.artifactsPath)).toEqual([]);
    expect((await readEvents(run.artifactsPath, "metric", "loss")).map((r) => r.step)).toEqual([1, 2, 3, 4]);
  });

  it("a background save that fails while closing is thrown by close()", async () => {
    const run = await newRun();
    const { hook, gate, step } = setup(run);
    for (let s = 1; s <= 3; s++) await step(s);
    const closing = hook.close();
    gate(2).reject(new Error("EIO"));
    const err = await closing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointSaveError);
    expect((err as Error).cause).toMatchObject({ message: "EIO" });
    await expect(hook.close()).resolves.toBeUndefined();
    await run.end();
    expect(versionsOnDisk(run.artifactsPath, "clf")).toEqual([]);
  });

  it("several failures before the next step are reported together", async () => {
    const run = await newRun();
    const { hook, gate, step } = setup(run, { every: { steps: 1 } });
    await step(1);
    await step(2); // queued behind 1
    gate(1).reject(new Error("first"));
    gate(2).reject(new Error("second"));
    await settle();
    const err = (await hook.close().catch((e: unknown) => e)) as CheckpointSaveError;
    expect(err).toBeInstanceOf(CheckpointSaveError);
    expect(err.value).toEqual({ name: "clf", step: 1, steps: [1, 2] });
    expect(err.cause).toBeInstanceOf(AggregateError);
    expect((err.cause as AggregateError).errors.map((e: Error) => e.message)).toEqual(["first", "second"]);
    await run.end();
  });

  it("with saveBestOnly a request must beat the one in flight or queued, so a better queued one is never replaced by a worse one", async () => {
    const run = await newRun();
    // Steps 6 and 7 go uphill: 6..11 are worse than 5.
    const { hook, log, gate, step } = setup(run, { every: { steps: 1 }, monitor: "val_loss", saveBestOnly: true }, (s) => (s === 6 || s === 7 ? -1.5 : 0.5));
    for (let s = 1; s <= 11; s++) await step(s);
    expect(log.filter((e) => e.startsWith("snapshot"))).toEqual(["snapshot 1", "snapshot 2", "snapshot 3", "snapshot 4", "snapshot 5"]);
    gate(1).resolve();
    gate(5).resolve();
    await hook.close();
    expect(versionsOnDisk(run.artifactsPath, "clf")).toEqual([1, 5]);
    expect((await modelRecord(run.artifactsPath, "clf"))?.best?.step).toBe(5);
    await run.end();
  });

  it("restore() waits for the background saves and loads the newest", async () => {
    const run = await newRun();
    const { hook, gate, step, paramsAt } = setup(run);
    for (let s = 1; s <= 4; s++) await step(s);
    const loaded: number[] = [];
    const restoring = hook.restore((path, info) => loaded.push(info.step));
    gate(2).resolve();
    gate(4).resolve();
    const info = await restoring;
    expect(info?.step).toBe(4);
    expect(loaded).toEqual([4]);
    expect((await loadVersions(run.artifactsPath, "clf")).get(4)).toEqual(paramsAt.get(4));
    await hook.close();
    await run.end();
  });
});

describe("CheckpointHook background mode in a loop that never waits for I/O", () => {
  it("a real save commits while the loop is still running", async () => {
    const run = await newRun();
    const t = trainer();
    const hook = new CheckpointHook({
      run,
      name: "clf",
      framework: "custom",
      every: { steps: 1 },
      background: true,
      snapshot: () => t.model.params.slice(),
      save: (dir, step, params) => saveWeights(dir, params, step),
    });
    // The loop only awaits step(); a save's file I/O completes only if step() lets the event loop turn.
    let step = 1;
    for (; hook.latest() === undefined && step < 10_000; step++) await hook.step(step, t.step(step));
    expect(step).toBeLessThan(10_000);
    expect(hook.latest()?.step).toBe(1);
    await hook.close();
    await run.end();
    // Every version written meanwhile is complete and listed.
    const versions = await loadVersions(run.artifactsPath, "clf");
    expect([...versions.keys()]).toEqual((await readEvents(run.artifactsPath, "model", "clf")).map((r) => r.step));
  });
});

describe("CheckpointHook foreground mode", () => {
  it("step() waits for the save; a failing save rejects step() with CheckpointSaveError and leaves nothing behind", async () => {
    const run = await newRun();
    const t = trainer();
    const log: string[] = [];
    const hook = new CheckpointHook({
      run,
      name: "clf",
      framework: "custom",
      every: { steps: 2 },
      save: async (dir, step) => {
        await saveWeights(dir, t.model.params, step);
        if (step === 4) throw new Error("serialiser broke");
        log.push(`saved ${step}`);
      },
    });
    for (let s = 1; s <= 3; s++) {
      await hook.step(s, t.step(s));
      log.push(`step ${s}`);
    }
    expect(log).toEqual(["step 1", "saved 2", "step 2", "step 3"]);
    const err = await hook.step(4, t.step(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointSaveError);
    expect((err as Error).cause).toMatchObject({ message: "serialiser broke" });
    expect(versionsOnDisk(run.artifactsPath, "clf")).toEqual([2]);
    expect(stagingEntries(run.artifactsPath)).toEqual([]);
    await hook.step(5, t.step(5));
    await hook.step(6, t.step(6));
    await hook.close();
    await run.end();
    expect(versionsOnDisk(run.artifactsPath, "clf")).toEqual([2, 6]);
  });
});

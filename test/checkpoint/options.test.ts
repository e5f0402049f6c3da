import { describe, expect, it } from "vitest";
import { InvalidValueError, NoActiveRunError, type Run } from "../../src/index.js";
import { CheckpointHook, CheckpointHookClosedError, type CheckpointHookOptions } from "../../src/adapters/checkpoint.js";
import { setDefaultRun } from "../../src/core/tracking.js";
import { versionsOnDisk, useTempRuns } from "../fixtures/checkpoint-run.js";

const newRun = useTempRuns();

const base = (run: Run): CheckpointHookOptions => ({ run, name: "clf", framework: "custom", every: { steps: 2 }, save: async () => {} });

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("CheckpointHook options", () => {
  it("`every` must set steps or seconds; the error lists both", async () => {
    const run = await newRun();
    for (const every of [undefined, {}, { steps: 0 }, { steps: 1.5 }, { seconds: -1 }, { seconds: Number.NaN }, { steps: "5" }]) {
      const err = thrown(() => new CheckpointHook({ ...base(run), every: every as never }));
      expect(err).toBeInstanceOf(InvalidValueError);
      expect(err.message).toMatch(/`every` must set `steps` \(a positive integer\), `seconds` \(a positive number\) or both/);
    }
    expect(thrown(() => new CheckpointHook({ ...base(run), every: {} })).message).toContain("got neither");
  });

  it("background mode needs snapshot(); framework and save are required; retention options are checked by the core", async () => {
    const run = await newRun();
    expect(thrown(() => new CheckpointHook({ ...base(run), background: true })).message).toMatch(/background: true` needs `snapshot\(step\)`/);
    expect(thrown(() => new CheckpointHook({ ...base(run), framework: "" })).message).toMatch(/`framework` is required/);
    expect(thrown(() => new CheckpointHook({ ...base(run), save: undefined as never })).message).toMatch(/`save\(dir, step\)` must be a function/);
    expect(thrown(() => new CheckpointHook({ ...base(run), keepBest: 2 })).message).toMatch(/keepBest and saveBestOnly need `monitor`/);
    expect(thrown(() => new CheckpointHook({ ...base(run), keepLast: 0 })).message).toMatch(/keepLast must be a positive integer/);
    expect(thrown(() => new CheckpointHook({ ...base(run), mode: "up" as never })).message).toMatch(/mode must be "min", "max" or "auto"/);
  });

  it("`run` defaults to the default run; without one it is NoActiveRunError", async () => {
    const run = await newRun();
    const { run: _omit, ...noRun } = base(run);
    expect(new CheckpointHook(noRun).run).toBe(run);
    setDefaultRun(undefined);
    expect(thrown(() => new CheckpointHook(noRun))).toBeInstanceOf(NoActiveRunError);
  });

  it("steps are non-negative integers that never go back; the same step again is allowed", async () => {
    const run = await newRun();
    const hook = new CheckpointHook(base(run));
    await expect(hook.step(-1, {})).rejects.toThrow(/step must be a non-negative integer \(got -1\)/);
    await expect(hook.step(1.5, {})).rejects.toBeInstanceOf(InvalidValueError);
    await hook.step(3, { loss: 1 });
    await hook.step(3, { loss: 1 });
    const err = await hook.step(2, { loss: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidValueError);
    expect(err).toMatchObject({ value: { step: 2, previous: 3 } });
    await expect(hook.step(4, "loss" as never)).rejects.toThrow(/`metrics` must be an object/);
    await expect(hook.step(4, { loss: "1" as never })).rejects.toThrow(/must be a number/);
    await hook.close();
    await run.end();
  });

  it("a closed hook refuses step() and restore()", async () => {
    const run = await newRun();
    const hook = new CheckpointHook(base(run));
    await hook.close();
    await expect(hook.step(1, {})).rejects.toBeInstanceOf(CheckpointHookClosedError);
    await expect(hook.restore(() => {})).rejects.toMatchObject({ code: "RUNTRAIL_HOOK_CLOSED", value: "clf" });
    await run.end();
  });

  it("restore() without a checkpoint resolves to undefined without calling load; best needs monitor", async () => {
    const run = await newRun();
    const hook = new CheckpointHook(base(run));
    let called = false;
    await expect(hook.restore(() => (called = true))).resolves.toBeUndefined();
    expect(called).toBe(false);
    await expect(hook.restore(() => {}, { which: "best" })).rejects.toThrow(/needs the hook's `monitor` option/);
    await expect(hook.restore(() => {}, { which: "oldest" as never })).rejects.toThrow(/"latest" or "best"/);
    expect(hook.latest()).toBeUndefined();
    expect(hook.best()).toBeUndefined();
    expect(hook.bestValue).toBeUndefined();
    await hook.close();
    await run.end();
  });

  it("the stream name follows Polyaxon's to_fqn_name; save() gets an existing, empty folder", async () => {
    const run = await newRun();
    const seen: string[][] = [];
    const { readdirSync, writeFileSync } = await import("node:fs");
    const hook = new CheckpointHook({
      ...base(run),
      name: "my model.v2",
      save: async (dir, step) => {
        seen.push(readdirSync(dir));
        writeFileSync(`${dir}/step.txt`, String(step));
      },
    });
    expect(hook.name).toBe("my-model-v2");
    for (let s = 1; s <= 4; s++) await hook.step(s, {});
    await hook.close();
    await run.end();
    expect(seen).toEqual([[], []]);
    expect(versionsOnDisk(run.artifactsPath, "my-model-v2")).toEqual([2, 4]);
  });
});

import { describe, expectTypeOf, it } from "vitest";
import type { Run } from "../../src/index.js";
import { CheckpointHook, type CheckpointHookOptions, type CheckpointInfo } from "../../src/adapters/checkpoint.js";

describe("runtrail/checkpoint types", () => {
  it("infers the snapshot type and passes it to save", () => {
    const make = (run: Run) =>
      new CheckpointHook({
        run,
        name: "m",
        framework: "custom",
        every: { steps: 1 },
        background: true,
        snapshot: (step) => ({ step, weights: [0, 0] }),
        save: async (_dir, _step, snap) => {
          expectTypeOf(snap).toEqualTypeOf<{ step: number; weights: number[] }>();
        },
      });
    expectTypeOf(make).returns.toEqualTypeOf<CheckpointHook<{ step: number; weights: number[] }>>();
  });

  it("without snapshot, save takes (dir, step); the getters return CheckpointInfo | undefined", () => {
    expectTypeOf<CheckpointHookOptions["save"]>().toEqualTypeOf<(dir: string, step: number, snapshot: undefined) => Promise<void>>();
    expectTypeOf<CheckpointHook["latest"]>().returns.toEqualTypeOf<CheckpointInfo | undefined>();
    expectTypeOf<CheckpointHook["best"]>().returns.toEqualTypeOf<CheckpointInfo | undefined>();
    expectTypeOf<CheckpointHook["step"]>().parameters.toEqualTypeOf<[step: number, metrics?: Record<string, number>]>();
    expectTypeOf<CheckpointInfo>().toEqualTypeOf<{ step: number; path: string; metrics: Record<string, number> }>();
  });
});

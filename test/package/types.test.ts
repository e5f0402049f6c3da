// The public types of every subpath, checked by `npm run typecheck` (tsc) — at run time these are no-ops.
import { describe, expectTypeOf, it } from "vitest";
import { init, loadRun, readEvents, readMetricColumns, Run, tracking, type CurveValue, type LoadedRun, type ModelValue } from "../../src/index.js";
import { CheckpointHook } from "../../src/adapters/checkpoint.js";
import { inspectOnnx, withOnnxExport, type OnnxSignature } from "../../src/adapters/onnx.js";
import { loadCheckpoint, TrackingCallback, type LayersModel, type TrackingCallbackOptions } from "../../src/adapters/tfjs.js";
import { syncRun, type SyncReport } from "../../src/s3.js";

describe("public types", () => {
  it("core", () => {
    expectTypeOf(init).returns.resolves.toEqualTypeOf<Run>();
    expectTypeOf(tracking.logMetric).toEqualTypeOf<Run["logMetric"]>();
    expectTypeOf(tracking.saveModel).toEqualTypeOf<Run["saveModel"]>();
    // Only public methods: Run's private ones (finalize, finishSync, track…) are not on the facade.
    expectTypeOf(tracking).not.toHaveProperty("finalize");
    expectTypeOf(tracking).not.toHaveProperty("finishSync");
    expectTypeOf(tracking).not.toHaveProperty("track");
    expectTypeOf(loadRun).returns.resolves.toEqualTypeOf<LoadedRun>();
    expectTypeOf<Awaited<ReturnType<typeof readEvents<"metric">>>[number]["value"]>().toEqualTypeOf<number>();
    expectTypeOf<Awaited<ReturnType<typeof readEvents<"curve">>>[number]["value"]>().toEqualTypeOf<CurveValue>();
    expectTypeOf<Awaited<ReturnType<typeof readEvents<"model">>>[number]["value"]>().toEqualTypeOf<ModelValue>();
    expectTypeOf(readMetricColumns).returns.resolves.toHaveProperty("values").toEqualTypeOf<Float64Array>();
  });

  it("adapters", () => {
    expectTypeOf<CheckpointHook["latest"]>().returns.toEqualTypeOf<{ step: number; path: string; metrics: Record<string, number> } | undefined>();
    expectTypeOf(loadCheckpoint).returns.resolves.toEqualTypeOf<LayersModel>();
    expectTypeOf(TrackingCallback).constructorParameters.toEqualTypeOf<[options?: TrackingCallbackOptions]>();
    expectTypeOf(TrackingCallback).instance.toHaveProperty("onEpochEnd");
    expectTypeOf(inspectOnnx).returns.resolves.toEqualTypeOf<OnnxSignature>();
    const exportFn = async (opset: number, name: string): Promise<Uint8Array> => new Uint8Array([opset, name.length]);
    const wrapped = withOnnxExport(exportFn, { name: "m" });
    expectTypeOf(wrapped).parameters.toEqualTypeOf<[number, string]>();
    expectTypeOf(wrapped).returns.resolves.toEqualTypeOf<Uint8Array>();
    expectTypeOf(syncRun).returns.resolves.toEqualTypeOf<SyncReport>();
  });
});

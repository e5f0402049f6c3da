// Types of the Polyaxon calls, checked by `npm run typecheck` (tsc); at run time these are no-ops.
import { describe, expectTypeOf, it } from "vitest";
import { readEvents, Run, tracking, type AudioValue, type DataframeValue, type V1RunArtifact, type VideoValue } from "../../src/index.js";

describe("public types of the Polyaxon calls", () => {
  it("are on Run and on the tracking facade", () => {
    expectTypeOf(tracking.logSklearnRocAucCurve).toEqualTypeOf<Run["logSklearnRocAucCurve"]>();
    expectTypeOf(tracking.logRocAucCurve).parameters.toEqualTypeOf<Parameters<Run["logRocAucCurve"]>>();
    expectTypeOf<Run["logSklearnPrCurve"]>().returns.toEqualTypeOf<number[]>();
    expectTypeOf<Run["logDataRef"]>().returns.resolves.toEqualTypeOf<V1RunArtifact>();
    expectTypeOf<Run["logTensorboardRef"]>().returns.toEqualTypeOf<V1RunArtifact | undefined>();
    expectTypeOf<Run["getTensorboardPath"]>().returns.toEqualTypeOf<string>();
    expectTypeOf<Run["logFailed"]>().returns.resolves.toEqualTypeOf<void>();
    expectTypeOf<Awaited<ReturnType<typeof readEvents<"audio">>>[number]["value"]>().toEqualTypeOf<AudioValue>();
    expectTypeOf<Awaited<ReturnType<typeof readEvents<"video">>>[number]["value"]>().toEqualTypeOf<VideoValue>();
    expectTypeOf<Awaited<ReturnType<typeof readEvents<"dataframe">>>[number]["value"]>().toEqualTypeOf<DataframeValue>();
  });
});

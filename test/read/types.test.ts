import { describe, expectTypeOf, it } from "vitest";
import { getRun, listRuns, InvalidQueryError, RuntrailError, type ListRunsOptions, type MetricLast, type RunSummary } from "../../src/index.js";

describe("public types of the read side", () => {
  it("listRuns and getRun resolve to RunSummary objects shaped as issue #12 asks", () => {
    expectTypeOf(listRuns).parameters.toEqualTypeOf<[root?: string, opts?: ListRunsOptions]>();
    expectTypeOf(listRuns).returns.resolves.toEqualTypeOf<RunSummary[]>();
    expectTypeOf(getRun).returns.resolves.toEqualTypeOf<RunSummary>();
    expectTypeOf<RunSummary["metrics"]>().toEqualTypeOf<Record<string, MetricLast>>();
    expectTypeOf<RunSummary["status"]>().toEqualTypeOf<string | null>();
    expectTypeOf<keyof RunSummary>().toEqualTypeOf<
      "uuid" | "name" | "project" | "status" | "tags" | "createdAt" | "startedAt" | "finishedAt" | "duration" | "inputs" | "outputs" | "metrics" | "path" | "damaged"
    >();
    expectTypeOf<InvalidQueryError>().toMatchTypeOf<RuntrailError>();
  });
});

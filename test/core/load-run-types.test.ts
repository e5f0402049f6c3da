// loadRun on run folders whose JSON has the wrong shape: a named CorruptRunError, never a record passed through.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CorruptRunError, loadRun } from "../../src/index.js";
import { writeSweepRun, sweepUuid } from "../helpers/sweep.js";
import { useTmp } from "../helpers/tmp.js";

describe("loadRun on wrong-typed files", () => {
  const tmp = useTmp();
  const run = (): string => writeSweepRun(tmp(), { uuid: sweepUuid(1), status: "succeeded", createdMs: Date.UTC(2024, 0, 1) });

  it.each([
    ["an object", `{"name": "a"}`, /is not a JSON array of lineage records/],
    ["a number in the array", `[1]`, /record 0 is not a JSON object/],
    ["an array in the array", `[{"name": "a", "kind": "metric"}, []]`, /record 1 is not a JSON object/],
    ["a numeric name", `[{"name": 7, "kind": "metric"}]`, /record 0 has a name that is not text \(7\)/],
    ["an object kind", `[{"name": "a", "kind": {"x": 1}}]`, /record 0 has a kind that is not text/],
    ["a list as path", `[{"name": "a", "kind": "model", "path": ["p"]}]`, /record 0 has a path that is not text/],
  ])("lineages.plx.json holding %s", async (_what, text, message) => {
    const dir = run();
    writeFileSync(join(dir, "lineages.plx.json"), text);
    const err = await loadRun(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptRunError);
    expect((err as Error).message).toMatch(message);
  });

  it("run.plx.json holding an array", async () => {
    const dir = run();
    writeFileSync(join(dir, "run.plx.json"), "[1, 2]");
    await expect(loadRun(dir)).rejects.toThrow(/run.plx.json is not a JSON object/);
  });

  it("keeps a lineage of well-typed records, with a null path", async () => {
    const dir = run();
    writeFileSync(join(dir, "lineages.plx.json"), `[{"name": "a", "kind": "metric", "path": null, "is_input": false}]`);
    expect((await loadRun(dir)).lineage).toEqual([{ name: "a", kind: "metric", path: null, is_input: false }]);
  });
});

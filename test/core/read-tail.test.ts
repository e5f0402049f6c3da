// The header-aware tail reader: the last whole row of an event file from its end only, whatever
// the column order (traceml's own fixtures write `timestamp|step|metric`).
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init, readEvents } from "../../src/index.js";
import { lastMetricRow, lastRow, lastRowSync, lastStepSync } from "../../src/core/read/tail.js";
import { useTmp } from "../helpers/tmp.js";

const TS = "2024-05-01 12:34:56.123000+00:00";

describe("tail reader", () => {
  const tmp = useTmp();
  const file = (name: string, text: string): string => {
    const dir = tmp();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it("follows the header: traceml's timestamp|step|metric order", async () => {
    const f = file("m.plx", `timestamp|step|metric\n${TS}|7|0.5\n${TS}|8|0.25`);
    expect(lastMetricRow(f)).toEqual({ step: 8, value: 0.25 });
    expect(lastStepSync(f, "metric")).toBe(8);
  });

  it("reads a file without a step column (step null), and nan as NaN", async () => {
    const f = file("m.plx", `timestamp|metric\n${TS}|1.5\n${TS}|nan`);
    const last = lastMetricRow(f);
    expect(last?.step).toBeNull();
    expect(last?.value).toBeNaN();
  });

  it("skips a last row cut by a kill, so the cut step is the one to log again", async () => {
    const f = file("m.plx", `step|timestamp|metric\n3|${TS}|0.5\n4|2024-05-01 12:3`);
    expect(lastMetricRow(f)).toEqual({ step: 3, value: 0.5 });
    expect(lastStepSync(f, "metric")).toBe(3);
  });

  it("finds the last row of a large file from its end, past rows longer than the first read", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i}|${TS}|${i / 2}`);
    const f = file("m.plx", `step|timestamp|metric\n${rows.join("\n")}`);
    expect(lastMetricRow(f)).toEqual({ step: 19_999, value: 9999.5 });
    const long = file("model.plx", `step|timestamp|model\n1|${TS}|{"path": "assets/model/m_1", "spec": {"pad": "${"x".repeat(40_000)}"}}`);
    const row = lastRowSync<{ path: string }>(long, "model");
    expect(row?.step).toBe(1);
    expect(row?.value.path).toBe("assets/model/m_1");
  });

  it("reads a JSONL stream (text) and says nothing for a missing, empty or header-only file", async () => {
    const f = file("t.plx", `{"timestamp": "${TS}", "step": 2, "text": "a|b"}\n{"timestamp": "${TS}", "step": 5, "text": "c"}`);
    expect((await lastRow(f, "text"))?.value).toBe("c");
    expect(lastStepSync(f, "text")).toBe(5);
    expect(await lastRow(join(tmp(), "missing.plx"), "metric")).toBeUndefined();
    expect(lastRowSync(file("e.plx", ""), "metric")).toBeUndefined();
    expect(lastRowSync(file("h.plx", "step|timestamp|metric"), "metric")).toBeUndefined();
    expect(lastRowSync(file("x.plx", "not|a|header\n1|2|3"), "metric")).toBeUndefined();
  });

  it("agrees with readEvents on a run written by runtrail, also after appends", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    for (let s = 0; s < 50; s++) run.logMetric("loss", 1 / (s + 1), { step: s });
    await run.flush();
    const f = join(run.artifactsPath, "events/metric/loss.plx");
    const all = await readEvents(run.artifactsPath, "metric", "loss");
    expect(await lastRow(f, "metric")).toEqual(all.at(-1));
    appendFileSync(f, `\n50|${TS}|0.125`);
    expect(lastRowSync(f, "metric")).toMatchObject({ step: 50, value: 0.125 });
    await run.end();
  });
});

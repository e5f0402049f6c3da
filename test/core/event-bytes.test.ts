import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init, readEvents } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";

const TS = "\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{6}\\+00:00";
const T0 = Date.UTC(2024, 4, 1, 12, 34, 56, 123);
const T0S = "2024-05-01 12:34:56.123000+00:00";

function read(runPath: string, rel: string): string {
  return readFileSync(join(runPath, rel), "utf8");
}
/** Replaces every writer timestamp by a placeholder so whole files can be compared. */
function normalise(text: string): string {
  return text.replace(new RegExp(TS, "g"), "<ts>");
}

describe("event files are byte-compatible with Polyaxon's writer", () => {
  const tmp = useTmp();

  it("metric CSV: header, separators, no trailing newline, Python floats and timestamps", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    run.logMetric("loss", 0.1, { step: 12, timestamp: T0 });
    run.logMetric("loss", 3, { step: 13, timestamp: new Date(T0) });
    run.logMetric("loss", 1e-5, { timestamp: T0 });
    run.logMetric("loss", Number.NaN, { step: 15, timestamp: T0 });
    run.logMetric("loss", Number.POSITIVE_INFINITY, { step: 16, timestamp: T0 });
    await run.flush();
    expect(read(run.artifactsPath, "events/metric/loss.plx")).toBe(
      `step|timestamp|metric\n12|${T0S}|0.1\n13|${T0S}|3.0\n|${T0S}|1e-05\n15|${T0S}|nan\n16|${T0S}|inf`,
    );
    await run.end();
  });

  it("curves, confusion and histogram: compact JSON in declared field order", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    run.logCurve("c", [0, 0.5, 1], [0, 0.8, 1], { annotation: "0.85", step: 3 });
    run.logConfusionMatrix("cm", ["cat", "dog"], ["cat", "dog"], [[5, 1], [2, 7]], { step: 1 });
    run.logHistogram("h", { values: [3, 5, 2], counts: [0, 0.33, 0.66, 1] }, { step: 1 });
    await run.end();
    const p = run.artifactsPath;
    expect(normalise(read(p, "events/curve/c.plx"))).toBe(
      'step|timestamp|curve\n3|<ts>|{"kind":"custom","x":[0.0,0.5,1.0],"y":[0.0,0.8,1.0],"annotation":"0.85"}',
    );
    expect(normalise(read(p, "events/confusion/cm.plx"))).toBe(
      'step|timestamp|confusion\n1|<ts>|{"x":["cat","dog"],"y":["cat","dog"],"z":[[5,1],[2,7]]}',
    );
    expect(normalise(read(p, "events/histogram/h.plx"))).toBe(
      'step|timestamp|histogram\n1|<ts>|{"values":[3.0,5.0,2.0],"counts":[0.0,0.33,0.66,1.0]}',
    );
  });

  it("text/html/chart are JSONL: empty first line, json.dumps spacing, ASCII escapes, double-encoded charts", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    run.logText("notes", "héllo", { step: 1 });
    run.logHtml("report", "<p>value</p>");
    run.logChart("fig", { mark: "line" }, { step: 1 });
    await run.end();
    const p = run.artifactsPath;
    expect(normalise(read(p, "events/text/notes.plx"))).toBe('\n{"timestamp": "<ts>", "step": 1, "text": "h\\u00e9llo"}');
    expect(normalise(read(p, "events/html/report.plx"))).toBe('\n{"timestamp": "<ts>", "step": null, "html": "<p>value</p>"}');
    expect(normalise(read(p, "events/chart/fig.plx"))).toBe(
      '\n{"timestamp": "<ts>", "step": 1, "chart": "{\\"kind\\":\\"vega\\",\\"figure\\":{\\"mark\\":\\"line\\"}}"}',
    );
  });

  it("a | inside a JSON value is written as \\u007c, so the CSV row keeps three fields", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    run.logConfusionMatrix("cm", ["a|b", "c"], ["a|b", "c"], [[1, 0], [0, 1]]);
    await run.end();
    const row = read(run.artifactsPath, "events/confusion/cm.plx").split("\n")[1]!;
    expect(row.split("|")).toHaveLength(3);
    expect(row).toContain('"a\\u007cb"');
    const [ev] = await readEvents(run.artifactsPath, "confusion", "cm");
    expect(ev!.value.x[0]).toBe("a|b");
  });

  it("appends across flushes with no blank line and no trailing newline", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false, flushIntervalMs: 0 });
    for (let i = 0; i < 3; i++) {
      run.logMetric("acc", i / 4, { step: i });
      await run.flush();
    }
    await run.end();
    const text = read(run.artifactsPath, "events/metric/acc.plx");
    expect(text.endsWith("\n")).toBe(false);
    expect(text).not.toContain("\n\n");
    expect(text.split("\n")).toHaveLength(4);
    for (const line of text.split("\n").slice(1)) expect(line).toMatch(new RegExp(`^\\d+\\|${TS}\\|[0-9.e+-]+$`));
  });
});

describe("round trips through readEvents", () => {
  const tmp = useTmp();

  it("returns steps, dates and typed values for every kind", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    run.logMetrics({ loss: 0.5, "val/acc": 0.75 }, { step: 2 });
    run.logMetric("loss", Number.NEGATIVE_INFINITY, { step: 3 });
    const [auc] = run.logSklearnRocAucCurve("roc", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], { step: 1 });
    run.logSklearnPrCurve("pr", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    run.logHistogram("w", [1, 2, 2, 3, 3, 3], { bins: 3 });
    run.logText("t", "line1\nline2 — ✓");
    run.logChart("c", { data: { values: [{ x: 1 }] } }, { kind: "vega" });
    await run.end();
    const p = run.artifactsPath;

    const loss = await readEvents(p, "metric", "loss");
    expect(loss.map((r) => [r.step, r.value])).toEqual([
      [2, 0.5],
      [3, Number.NEGATIVE_INFINITY],
    ]);
    expect(loss[0]!.timestamp).toBeInstanceOf(Date);
    expect((await readEvents(p, "metric", "val/acc"))[0]!.value).toBe(0.75);
    expect(auc).toBeCloseTo(0.75);
    const [roc] = await readEvents(p, "curve", "roc");
    expect(roc!.value.kind).toBe("roc");
    expect(roc!.value.annotation).toBe("0.75");
    expect(roc!.value.x[0]).toBe(0);
    const [pr] = await readEvents(p, "curve", "pr");
    expect(pr!.step).toBeNull();
    expect(pr!.value.x.at(-1)).toBe(1);
    const [h] = await readEvents(p, "histogram", "w");
    expect(h!.value.values).toEqual([1, 2, 3]);
    expect(h!.value.counts).toHaveLength(4);
    expect((await readEvents(p, "text", "t"))[0]!.value).toBe("line1\nline2 — ✓");
    expect((await readEvents(p, "chart", "c"))[0]!.value).toEqual({ kind: "vega", figure: { data: { values: [{ x: 1 }] } } });
  });

  it("reads traceml's fixture layout (timestamp|step|kind, spaced JSON) and skips a cut last row", async () => {
    const { parseEvents } = await import("../../src/index.js");
    const text =
      'timestamp|step|curve\n2018-12-11 10:24:57|12|{"kind": "roc", "x": [1.1, 3.1], "y": [1.1, 3.1], "annotation": "0.1"}\n2018-12-11 10:24:58|13|{"kind": "ro';
    const parsed = parseEvents("curve", text);
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.rows[0]!.step).toBe(12);
    expect(parsed.cutTail).toBe(true);
  });
});

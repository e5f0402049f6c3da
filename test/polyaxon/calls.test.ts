import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init, loadRun, readEvents, tracking } from "../../src/index.js";
import { InvalidValueError } from "../../src/core/errors.js";
import { pyFloatRepr } from "../../src/core/events/pyformat.js";
import { useTmp } from "../helpers/tmp.js";
import { makePng } from "../helpers/png.js";

// Golden rows of each call against the byte format (shared/polyaxon-format.md §2), timestamps included.
const T0 = Date.UTC(2024, 4, 1, 12, 34, 56, 123);
const T0S = "2024-05-01 12:34:56.123000+00:00";
const T1 = new Date(Date.UTC(2024, 4, 1, 12, 34, 57, 0));
// Python's str(datetime) drops a zero fraction; runtrail always writes it (polyaxon-format.md §2.3: pandas may
// fail to infer a column that mixes both shapes), which every Polyaxon reader parses the same.
const T1S = "2024-05-01 12:34:57.000000+00:00";

const read = (run: { artifactsPath: string }, rel: string): string => readFileSync(join(run.artifactsPath, rel), "utf8");
const fixture = (rel: string): string => new URL(`../fixtures/${rel}`, import.meta.url).pathname;

describe("Polyaxon's tracking calls write Polyaxon's bytes", () => {
  const tmp = useTmp();

  it("logRocAucCurve / logPrCurve take computed curves (Polyaxon's signature and curve kinds)", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    run.logRocAucCurve("roc", [0, 0.5, 1], [0, 0.8, 1], 0.85, { step: 3, timestamp: T0 });
    run.logRocAucCurve("roc", [0, 1], [0, 1], undefined, { timestamp: T1 });
    run.logPrCurve("pr", [1, 0.5], [0, 1], 0.75, { step: 1, timestamp: T0 });
    run.logPrCurve("pr", [1, 0.5], [0, 1], 0, { step: 2, timestamp: T0 }); // `if auc` in Python: 0 drops the annotation
    await run.end();
    expect(read(run, "events/curve/roc.plx")).toBe(
      `step|timestamp|curve\n3|${T0S}|{"kind":"roc","x":[0.0,0.5,1.0],"y":[0.0,0.8,1.0],"annotation":"0.85"}\n|${T1S}|{"kind":"roc","x":[0.0,1.0],"y":[0.0,1.0]}`,
    );
    expect(read(run, "events/curve/pr.plx")).toBe(
      `step|timestamp|curve\n1|${T0S}|{"kind":"pr","x":[1.0,0.5],"y":[0.0,1.0],"annotation":"0.75"}\n2|${T0S}|{"kind":"pr","x":[1.0,0.5],"y":[0.0,1.0]}`,
    );
  });

  it("logSklearnRocAucCurve / logSklearnPrCurve: Polyaxon's argument order, sklearn's points, str(score) annotation", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    const auc = run.logSklearnRocAucCurve("roc", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], { step: 1, timestamp: T0 });
    const ap = run.logSklearnPrCurve("pr", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], { step: 1, timestamp: T0 });
    expect(auc).toEqual([0.75]);
    expect(ap).toEqual([0.8333333333333333]);
    await run.end();
    expect(read(run, "events/curve/roc.plx")).toBe(
      `step|timestamp|curve\n1|${T0S}|{"kind":"roc","x":[0.0,0.0,0.5,0.5,1.0],"y":[0.0,0.5,0.5,1.0,1.0],"annotation":"0.75"}`,
    );
    expect(read(run, "events/curve/pr.plx")).toBe(
      `step|timestamp|curve\n1|${T0S}|{"kind":"pr","x":[0.5,0.6666666666666666,0.5,1.0,1.0],"y":[1.0,1.0,0.5,0.5,0.0],"annotation":"0.8333333333333333"}`,
    );
  });

  it("multi-class: one curve <name>_<i> per sorted class, one-vs-rest", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    const preds = [
      [0.7, 0.2, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.2, 0.7],
      [0.6, 0.3, 0.1],
    ];
    const aucs = run.logSklearnRocAucCurve("Val ROC", preds, ["b", "a", "c", "b"], { step: 2, isMultiClass: true, timestamp: T0 });
    expect(aucs).toHaveLength(3);
    await run.end();
    const streams = (await loadRun(run.artifactsPath)).streams.filter((s) => s.kind === "curve").map((s) => s.name);
    expect(streams).toEqual(["Val-ROC_0", "Val-ROC_1", "Val-ROC_2"]);
    // Class 0 is "a" (np.unique sorts): only sample 1 is positive and three negatives score 0.7, 0.6, 0.1
    // on column 0, so its ROC AUC is 1/3 (as sklearn computes it: 1 - 2/3 rounded, halved twice).
    expect(aucs[0]).toBe(0.33333333333333337);
    for (const [i, auc] of aucs.entries()) {
      const [row] = await readEvents(run.artifactsPath, "curve", `Val-ROC_${i}`);
      expect(row!.value.kind).toBe("roc");
      expect(row!.value.annotation).toBe(pyFloatRepr(auc)); // Python str(float)
      expect(row!.step).toBe(2);
      expect(row!.timestamp.getTime()).toBe(T0);
    }
  });

  it("timestamp on every other event call", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    const src = join(tmp(), "weights.bin");
    writeFileSync(src, "w");
    run.logCurve("c", [0, 1], [1, 0], { annotation: "x", step: 1, timestamp: T0 });
    run.logConfusionMatrix("cm", ["a", "b"], ["a", "b"], [[1, 0], [0, 1]], { step: 1, timestamp: T0 });
    run.logHistogram("h", { values: [1], counts: [0, 1] }, { step: 1, timestamp: T0 });
    run.logText("t", "x", { step: 1, timestamp: T0 });
    run.logHtml("html", "<b>x</b>", { timestamp: T1 });
    run.logChart("ch", { mark: "bar" }, { step: 1, timestamp: T0 });
    await run.logImage("img", makePng(2, () => [1, 2, 3]), { step: 1, timestamp: T0 });
    await run.logArtifact({ path: src, name: "w", step: 1, timestamp: T0 });
    await run.logModel({ path: src, name: "m", framework: "onnx", step: 1, timestamp: T0 });
    await run.end();
    expect(read(run, "events/curve/c.plx")).toBe(`step|timestamp|curve\n1|${T0S}|{"kind":"custom","x":[0.0,1.0],"y":[1.0,0.0],"annotation":"x"}`);
    expect(read(run, "events/confusion/cm.plx")).toBe(`step|timestamp|confusion\n1|${T0S}|{"x":["a","b"],"y":["a","b"],"z":[[1,0],[0,1]]}`);
    expect(read(run, "events/histogram/h.plx")).toBe(`step|timestamp|histogram\n1|${T0S}|{"values":[1.0],"counts":[0.0,1.0]}`);
    expect(read(run, "events/text/t.plx")).toBe(`\n{"timestamp": "${T0S}", "step": 1, "text": "x"}`);
    expect(read(run, "events/html/html.plx")).toBe(`\n{"timestamp": "${T1S}", "step": null, "html": "<b>x</b>"}`);
    expect(read(run, "events/chart/ch.plx")).toBe(`\n{"timestamp": "${T0S}", "step": 1, "chart": "{\\"kind\\":\\"vega\\",\\"figure\\":{\\"mark\\":\\"bar\\"}}"}`);
    expect(read(run, "events/image/img.plx")).toBe(`step|timestamp|image\n1|${T0S}|{"path":"assets/image/img_1.png"}`);
    expect(read(run, "events/file/w.plx")).toBe(`step|timestamp|file\n1|${T0S}|{"kind":"file","path":"assets/file/w_1.bin"}`);
    expect(read(run, "events/model/m.plx")).toBe(`step|timestamp|model\n1|${T0S}|{"framework":"onnx","path":"assets/model/m_1.bin"}`);
  });

  it("logTrace: a V1EventSpan as a double-encoded JSONL row; inputs/outputs merged; has_traces", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    run.logTrace(
      {
        kind: "chain", // given out of order: written in V1EventSpan's field order
        name: "qa chain",
        uuid: "ceb21ee781254719b18664ad1fde57a2",
        tags: ["a"],
        started_at: new Date(T0),
        status: "succeeded",
        inputs: { "user/question": "hi" },
        outputs: { answer: "hello" },
        children: [{ name: "llm", kind: "llm", metadata: { tokens: 12 } }],
      },
      { step: 1, timestamp: T0 },
    );
    run.logTrace({}, { timestamp: T0 });
    expect(() => run.logTrace({ name: "x", colour: "red" } as never)).toThrow(/unknown field "colour"/);
    expect(() => run.logTrace({ children: [{ kind: "robot" }] } as never)).toThrow(/span.children\[0\].kind/);
    await run.end();
    expect(read(run, "events/span/qa-chain.plx")).toBe(
      `\n{"timestamp": "${T0S}", "step": 1, "span": "{\\"uuid\\":\\"ceb21ee781254719b18664ad1fde57a2\\",\\"name\\":\\"qa chain\\",\\"tags\\":[\\"a\\"],\\"started_at\\":\\"2024-05-01T12:34:56.123000+00:00\\",\\"status\\":\\"succeeded\\",\\"inputs\\":{\\"user/question\\":\\"hi\\"},\\"outputs\\":{\\"answer\\":\\"hello\\"},\\"children\\":[{\\"name\\":\\"llm\\",\\"metadata\\":{\\"tokens\\":12},\\"kind\\":\\"llm\\"}],\\"kind\\":\\"chain\\"}"}`,
    );
    expect(read(run, "events/span/trace.plx")).toBe(`\n{"timestamp": "${T0S}", "step": null, "span": "{}"}`);
    const meta = (await loadRun(run.artifactsPath)).meta;
    expect(meta.inputs).toEqual({ user__question: "hi" });
    expect(meta.outputs).toEqual({ answer: "hello" });
    expect(meta.meta_info).toMatchObject({ has_traces: true, has_events: true });
  });

  it("a bad timestamp is a named error and writes nothing", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    expect(() => run.logText("t", "x", { timestamp: Number.NaN })).toThrow(InvalidValueError);
    expect(() => run.logSklearnRocAucCurve("r", [0.1, 0.9], [0, 1], { timestamp: "yesterday" as never })).toThrow(InvalidValueError);
    await expect(run.logImage("i", makePng(2, () => [0, 0, 0]), { timestamp: new Date("nope") })).rejects.toBeInstanceOf(InvalidValueError);
    await run.end();
    expect((await loadRun(run.artifactsPath)).streams).toEqual([]);
  });

  it("logAudio: samples become the WAV traceml writes; a WAV file's header fills the row", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    const samples = JSON.parse(readFileSync(fixture("media/samples.json"), "utf8")) as { clipped: number[]; in_range: number[] };
    const a = await run.logAudio(new Float64Array(samples.clipped), { step: 1, timestamp: T0 });
    await run.logAudio(samples.in_range, { name: "voice", sampleRate: 8000, timestamp: T0 });
    await run.logAudio(fixture("media/samples_8k.wav"), { step: 2, timestamp: T0 });
    await run.logAudio(new Uint8Array([1, 2, 3]), { name: "raw", contentType: "mp3", timestamp: T0 });
    await run.end();
    expect(a.relPath).toBe("assets/audio/audio_1.wav");
    expect(readFileSync(a.path)).toEqual(readFileSync(fixture("media/samples_clipped.wav")));
    expect(readFileSync(join(run.artifactsPath, "assets/audio/voice.wav"))).toEqual(readFileSync(fixture("media/samples_8k.wav")));
    expect(read(run, "events/audio/audio.plx")).toBe(
      `step|timestamp|audio\n1|${T0S}|{"sample_rate":44100.0,"num_channels":1,"length_frames":8,"path":"assets/audio/audio_1.wav","content_type":"audio/wav"}`,
    );
    expect(read(run, "events/audio/samples_8k.plx")).toBe(
      `step|timestamp|audio\n2|${T0S}|{"sample_rate":8000.0,"num_channels":1,"length_frames":6,"path":"assets/audio/samples_8k_2.wav","content_type":"audio/wav"}`,
    );
    expect(read(run, "events/audio/raw.plx")).toBe(`step|timestamp|audio\n|${T0S}|{"path":"assets/audio/raw.mp3","content_type":"mp3"}`);
    expect((await loadRun(run.artifactsPath)).meta.meta_info.has_events).toBe(true);
  });

  it("logVideo: a GIF's or MP4's size in the row, content_type from the extension", async () => {
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    // A real 3x2 GIF89a: header, logical screen, global colour table, one image, trailer.
    const gif = new Uint8Array([
      ...Buffer.from("GIF89a"), 3, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
      0x2c, 0, 0, 0, 0, 3, 0, 2, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3b,
    ]);
    const gifPath = join(tmp(), "clip.gif");
    writeFileSync(gifPath, gif);
    await run.logVideo(gifPath, { step: 4, timestamp: T0 });
    await run.logVideo(mp4WithTrack(640, 360), { name: "cam", contentType: "mp4", timestamp: T0 });
    await run.end();
    expect(read(run, "events/video/clip.plx")).toBe(`step|timestamp|video\n4|${T0S}|{"height":2,"width":3,"path":"assets/video/clip_4.gif","content_type":"gif"}`);
    expect(read(run, "events/video/cam.plx")).toBe(`step|timestamp|video\n|${T0S}|{"height":360,"width":640,"path":"assets/video/cam.mp4","content_type":"mp4"}`);
    expect(() => run.logVideo(gifPath)).toThrow(/ended/);
  });

  it("logDataframe: rows as pandas' to_csv writes them (golden from pandas), or a CSV/HTML file", async () => {
    const golden = JSON.parse(readFileSync(fixture("pandas/dataframe-csv.json"), "utf8")) as {
      cases: Array<{ name: string; rows: Array<Record<string, string | number | boolean | null>>; csv: string }>;
    };
    const run = await init({ offlineRoot: tmp(), handleExit: false });
    for (const [i, c] of golden.cases.entries()) {
      const res = await run.logDataframe(c.name, c.rows, { step: i, timestamp: T0 });
      expect(readFileSync(res.path, "utf8"), c.name).toBe(c.csv);
    }
    const html = join(tmp(), "table.html");
    writeFileSync(html, "<table></table>");
    await run.logDataframe("report", html, { timestamp: T0 });
    await expect(run.logDataframe("x", [{ a: 1 }], { contentType: "json" as never })).rejects.toBeInstanceOf(InvalidValueError);
    await run.end();
    expect(read(run, "events/dataframe/booleans.plx")).toBe(`step|timestamp|dataframe\n2|${T0S}|{"path":"assets/dataframe/booleans_2.csv","content_type":"csv"}`);
    expect(read(run, "events/dataframe/report.plx")).toBe(`step|timestamp|dataframe\n|${T0S}|{"path":"assets/dataframe/report.html","content_type":"html"}`);
  });
});

/** The smallest ISO-BMFF layout that carries a track size: ftyp, then moov > trak > tkhd (version 0, 92 bytes). */
function mp4WithTrack(width: number, height: number): Uint8Array {
  const box = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length);
    head.write(type, 4, "ascii");
    return Buffer.concat([head, body]);
  };
  const tkhd = Buffer.alloc(84);
  tkhd.writeUInt32BE(width * 65536, 76);
  tkhd.writeUInt32BE(height * 65536, 80);
  return new Uint8Array(Buffer.concat([box("ftyp", Buffer.from("isom\0\0\0\0isom")), box("moov", box("trak", box("tkhd", tkhd)))]));
}

describe("the tracking facade has the new calls", () => {
  const tmp = useTmp();
  it("derives them from Run", async () => {
    await tracking.init({ offlineRoot: tmp(), handleExit: false });
    for (const m of ["logSklearnRocAucCurve", "logSklearnPrCurve", "logAudio", "logVideo", "logDataframe", "logDataRef", "logFileRef", "logDirRef", "getTensorboardPath", "logTensorboardRef", "logSucceeded", "logFailed", "logStopped", "logTags", "setName", "setDescription", "setReadme", "logProgress", "logTrace"]) {
      expect(typeof (tracking as unknown as Record<string, unknown>)[m], m).toBe("function");
    }
    tracking.logSklearnRocAucCurve("roc", [0.2, 0.9], [0, 1]);
    await tracking.logSucceeded({ message: "done" });
    expect(tracking.run!.status).toBe("succeeded");
  });
});

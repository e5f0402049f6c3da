// Exhaustive truncation: every kind of event file, holding multi-byte text and rows from a few
// bytes to several MB, is cut at every byte offset of its last two rows (a dense sample for the
// big rows), as a kill mid-write would leave it. Resuming must keep exactly what a reader saw
// before (every complete row once, byte for byte), append the next row, and read back clean.
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { init, loadRun, parseEvents, readEvents, type EventRow, type Run } from "../../src/index.js";
import { EventWriter } from "../../src/core/events/writer.js";
import { eventPath } from "../../src/core/paths.js";
import { useTmp } from "../helpers/tmp.js";

/** Text with 2-, 3- and 4-byte UTF-8 characters, so cuts land inside each kind of character. */
const MB_TEXT = "naïve é → ✓ 𝄞 日本";

interface Stream {
  /** What it is, for the report. */
  label: string;
  kind: string;
  /** Logs the row of step `i` through the public API. */
  log(run: Run, i: number, dir: string): void | Promise<void>;
  /** Rows logged before the cut region ends (the last two of them are cut). */
  rows: number;
  /** Big rows: a dense sample of offsets instead of every one. */
  big?: boolean;
}

const bigCurve = (i: number): { x: number[]; y: number[] } => {
  const n = 60_000;
  const x = new Array<number>(n);
  const y = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    x[k] = k / n + i * 1e-9;
    y[k] = Math.sqrt(k / n) * 0.987654321;
  }
  return { x, y };
};

const STREAMS: Stream[] = [
  { label: "metric", kind: "metric", rows: 4, log: (r, i) => r.logMetric("loss", [0.6931471805599453, 1e-5, -2.5, 123456.789, Number.NaN][i % 5]!, { step: i }) },
  { label: "curve (multi-byte annotation)", kind: "curve", rows: 3, log: (r, i) => r.logCurve("roc", [0, 0.5, 1], [0, 0.8, 1], { annotation: `${MB_TEXT} ${i}`, step: i }) },
  {
    label: "curve (2.5 MB rows, multi-byte annotation)",
    kind: "curve",
    rows: 2,
    big: true,
    log: (r, i) => {
      const { x, y } = i < 2 ? bigCurve(i) : { x: [0, 1], y: [0, 1] }; // the two cut rows are big, the appended one small
      r.logCurve("big", x, y, { annotation: `${MB_TEXT} ${i}`, step: i });
    },
  },
  { label: "confusion (multi-byte labels)", kind: "confusion", rows: 3, log: (r, i) => r.logConfusionMatrix("cm", ["chat ✓", "chien é"], ["chat ✓", "chien é"], [[i, 1], [2, 3]], { step: i }) },
  { label: "histogram", kind: "histogram", rows: 3, log: (r, i) => r.logHistogram("w", [0.1 * i, 0.2, 0.3, 0.4, 0.5, 0.9], { bins: 3, step: i }) },
  { label: "text (multi-byte, escaped)", kind: "text", rows: 3, log: (r, i) => r.logText("notes", `${MB_TEXT} row ${i}`, { step: i }) },
  { label: "text (2 MB rows)", kind: "text", rows: 2, big: true, log: (r, i) => r.logText("long", `${MB_TEXT} ${i} `.repeat(i < 2 ? 40_000 : 1), { step: i }) },
  { label: "html", kind: "html", rows: 3, log: (r, i) => r.logHtml("page", `<b>${MB_TEXT}</b> ${i}`, { step: i }) },
  { label: "chart", kind: "chart", rows: 3, log: (r, i) => r.logChart("fig", { data: [{ x: [1, 2], y: [i, 3], name: MB_TEXT }] }, { step: i }) },
  {
    label: "model (multi-byte spec)",
    kind: "model",
    rows: 3,
    log: async (r, i, dir) => {
      const src = join(dir, `m${i}.onnx`);
      writeFileSync(src, `model ${i}`);
      await r.logModel({ path: src, name: "net", framework: "onnx", step: i, summary: { note: `modèle ${MB_TEXT}` } });
    },
  },
  { label: "image", kind: "image", rows: 3, log: async (r, i) => void (await r.logImage("sample", new Uint8Array([137, 80, 78, 71, i]), { step: i })) },
  {
    label: "file (versioned artifact)",
    kind: "file",
    rows: 3,
    log: async (r, i, dir) => {
      const src = join(dir, `data${i}.csv`);
      writeFileSync(src, `a,b\n${i},2\n`);
      await r.logArtifact({ path: src, name: "data", step: i });
    },
  },
];

/** A row as a comparable string: step, time, and a digest of its value. */
function fingerprint(r: EventRow): string {
  const v = JSON.stringify(r.value, (_k, x: unknown) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x));
  return `${r.step}|${r.timestamp.getTime()}|${createHash("md5").update(v).digest("hex")}`;
}

/** The one event file a source run wrote for `kind`. */
function streamFile(runDir: string, kind: string): { name: string; path: string } {
  const files = readdirSync(join(runDir, "events", kind)).filter((f) => f.endsWith(".plx"));
  expect(files).toHaveLength(1);
  return { name: files[0]!.slice(0, -4), path: join(runDir, "events", kind, files[0]!) };
}

/** Offsets to cut at in [from, to): all of them, or for big rows the edges, every multi-byte character, 90 % and an even spread. */
function cutOffsets(bytes: Buffer, from: number, to: number, rowStarts: number[], big: boolean): number[] {
  if (!big) return Array.from({ length: to - from }, (_, k) => from + k);
  const set = new Set<number>();
  const add = (o: number): void => void (o >= from && o < to && set.add(o));
  for (const s of [...rowStarts, to]) for (let d = -64; d <= 64; d++) add(s + d);
  let multiByte = 0;
  for (let o = from; o < to && multiByte < 400; o++) {
    if (bytes[o]! >= 0x80) {
      add(o);
      multiByte++;
    }
  }
  for (const s of rowStarts) add(s + Math.floor((to - s) * 0.9));
  for (let k = 0; k < 100; k++) add(from + Math.floor(((to - from) * k) / 100));
  return [...set].sort((a, b) => a - b);
}

const totals = { streams: 0, cutPoints: 0, cyclesInProcess: 0, fullRuns: 0, multiByteCuts: 0, biggestRowBytes: 0 };

describe("exhaustive truncation of the last two rows", () => {
  const tmp = useTmp();

  afterAll(() => {
    console.log(
      `truncation: ${totals.cutPoints} cut points tried over ${totals.streams} event streams (${totals.multiByteCuts} inside a multi-byte character, ` +
        `rows up to ${(totals.biggestRowBytes / 1e6).toFixed(1)} MB); ${totals.cyclesInProcess} resumes verified in-process, ` +
        `${totals.fullRuns} runs verified through init/resume/log/end`,
    );
  });

  for (const st of STREAMS) {
    it(`${st.label}: every cut resumes to what a reader saw, plus the next row`, async () => {
      const dir = tmp();
      const srcDir = join(dir, "src");
      // The source run: `rows` rows, then the one appended after each cut (logged the same way).
      const run = await init({ artifactsPath: srcDir, handleExit: false, flushIntervalMs: 0 });
      for (let i = 0; i <= st.rows; i++) await st.log(run, i, dir);
      await run.end();
      const { name, path } = streamFile(srcDir, st.kind);
      const full = readFileSync(path);
      const lastNl = full.lastIndexOf(0x0a);
      const base = full.subarray(0, lastNl); // header + rows 0..rows-1
      const next = full.subarray(lastNl).toString("utf8"); // "\n" + row `rows`
      const allRows = parseEvents(st.kind, full.toString("utf8"), path).rows;
      expect(allRows).toHaveLength(st.rows + 1);
      const nextFp = fingerprint(allRows[st.rows]!);
      // Byte offsets where each row's "\n" is: row k spans (nl[k], nl[k+1]).
      const nls: number[] = [];
      for (let o = base.indexOf(0x0a); o >= 0; o = base.indexOf(0x0a, o + 1)) nls.push(o);
      const rowEnd = (k: number): number => (k + 1 < nls.length ? nls[k + 1]! : base.length);
      const from = nls[nls.length - 2]!;
      for (let k = nls.length - 2; k < nls.length; k++) totals.biggestRowBytes = Math.max(totals.biggestRowBytes, rowEnd(k) - nls[k]!);
      const offsets = cutOffsets(base, from, base.length + 1, nls.slice(-2), !!st.big);

      const scratch = join(dir, "scratch");
      mkdirSync(join(scratch, "events", st.kind), { recursive: true });
      const file = eventPath(scratch, st.kind, name);
      for (const [n, cut] of offsets.entries()) {
        const cutBytes = base.subarray(0, cut);
        writeFileSync(file, cutBytes);
        const complete = nls.filter((_, k) => rowEnd(k) <= cut).length;
        const keptBytes = complete > 0 ? rowEnd(complete - 1) : nls[0]!;
        // Big rows are checked by bytes at every cut (a cut JSON row is never whole) and parsed at every 20th.
        const parse = !st.big || n % 20 === 0;
        const before = parse ? parseEvents(st.kind, cutBytes.toString("utf8"), file).rows.map(fingerprint) : [];
        // Every row that is whole in the cut file is what a reader sees first, once each.
        if (parse) expect(before.slice(0, complete)).toEqual(allRows.slice(0, complete).map(fingerprint));

        const writer = new EventWriter(scratch, 0);
        writer.append(writer.stream(st.kind, name), next);
        writer.flushSync();
        writer.close();

        const after = readFileSync(file);
        const ctx = `${st.label}, cut at byte ${cut} of ${base.length}`;
        expect(after.subarray(0, keptBytes).equals(base.subarray(0, keptBytes)), `${ctx}: complete rows changed`).toBe(true);
        if (st.big) expect(after.subarray(keptBytes).toString("utf8"), `${ctx}: cut row not removed`).toBe(next);
        if (parse) {
          const parsed = parseEvents(st.kind, after.toString("utf8"), file);
          expect(parsed.cutTail, ctx).toBe(false);
          expect(parsed.rows.map(fingerprint), ctx).toEqual([...before, nextFp]);
        }
        totals.cutPoints++;
        totals.cyclesInProcess++;
        if (cut < base.length && (base[cut]! & 0xc0) === 0x80) totals.multiByteCuts++;
      }

      // A few of those cuts through the whole API: resume with init(), log the next row, end(), read back.
      const lastRowStart = nls[nls.length - 1]!;
      const inChar = offsets.find((o) => o > lastRowStart && (base[o]! & 0xc0) === 0x80);
      const picks = [lastRowStart + 1, lastRowStart + Math.floor((base.length - lastRowStart) * 0.9), from + Math.floor((lastRowStart - from) / 2), ...(inChar ? [inChar] : [])];
      for (const [k, cut] of picks.entries()) {
        const runDir = join(dir, `full-${k}`);
        cpSync(srcDir, runDir, { recursive: true });
        const cutBytes = base.subarray(0, cut);
        writeFileSync(eventPath(runDir, st.kind, name), cutBytes);
        const before = parseEvents(st.kind, cutBytes.toString("utf8")).rows.map(fingerprint);
        const resumed = await init({ artifactsPath: runDir, handleExit: false, flushIntervalMs: 0 });
        expect(resumed.resumed).toBe(true);
        await st.log(resumed, st.rows, dir);
        await resumed.end();
        const rows = (await readEvents(runDir, st.kind, name)).map(fingerprint);
        const ctx = `${st.label}, full run cut at byte ${cut}`;
        expect(rows.slice(0, -1), ctx).toEqual(before);
        expect(rows.at(-1)!.split("|")[0], ctx).toBe(String(st.rows)); // the new row, at its step
        const loaded = await loadRun(runDir);
        expect(loaded.status).toBe("succeeded");
        expect(loaded.streams).toContainEqual({ kind: st.kind, name });
        totals.fullRuns++;
        totals.cutPoints++;
      }
      totals.streams++;
    });
  }
});

import { CorruptRunError, ArtifactNotFoundError } from "../errors.js";
import { readRegularText, readRegularTextSync } from "../fs-safe.js";
import { isJsonlKind } from "../kinds.js";
import { toFqnName } from "../names.js";
import { eventPath } from "../paths.js";
import { localRunPath } from "../load-run.js";
import { parsePyTimestamp } from "./pyformat.js";
import { parseCsvValue, parseJsonlValue, parsePyFloat, parseStep, type EventRow } from "./rows.js";
import type { EventValue } from "./values.js";
import { prunedStepsOfRow } from "../pruned-versions.js";

export type { EventRow } from "./rows.js";

/** Result of parsing one event file. `cutTail` is true when a last row cut by a kill was skipped. */
export interface ParsedEvents<V = unknown> {
  rows: EventRow<V>[];
  cutTail: boolean;
}

/**
 * Parses the text of an event file, following its header (`step|timestamp|<kind>` or the
 * fixtures' `timestamp|step|<kind>`), or JSONL for html/text/chart/span (pre-2023 CSV files of
 * those kinds are read too). A malformed last row is skipped (a kill cut it); a malformed row
 * anywhere else is a CorruptRunError.
 */
export function parseEvents<V = unknown>(kind: string, text: string, source = "<text>"): ParsedEvents<V> {
  const lines = text.split("\n");
  const firstNonEmpty = lines.find((l) => l.length > 0) ?? "";
  const looksCsv = /^(step|timestamp)\|/.test(firstNonEmpty);
  const rows: EventRow<V>[] = [];
  let cutTail = false;
  const fail = (i: number, err: unknown): void => {
    if (i === lines.length - 1) {
      cutTail = true;
      return;
    }
    throw new CorruptRunError(`${source}: row ${i + 1} cannot be parsed (${(err as Error).message}).`, lines[i], err);
  };

  if (isJsonlKind(kind) && !looksCsv) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.length === 0) continue;
      try {
        const obj = JSON.parse(line) as Record<string, unknown>;
        const ms = parsePyTimestamp(String(obj.timestamp));
        if (Number.isNaN(ms) || !(kind in obj)) throw new SyntaxError("missing timestamp or value");
        rows.push({ step: parseStep(obj.step as number | null), timestamp: new Date(ms), value: parseJsonlValue(kind, obj[kind]) as V });
      } catch (err) {
        fail(i, err);
      }
    }
    return { rows, cutTail };
  }

  const headerIdx = lines.findIndex((l) => l.length > 0);
  if (headerIdx < 0) return { rows, cutTail };
  const header = lines[headerIdx]!.split("|");
  const iStep = header.indexOf("step");
  const iTs = header.indexOf("timestamp");
  const iVal = header.indexOf(kind);
  if (iTs < 0 || iVal < 0) {
    if (headerIdx === lines.length - 1) return { rows, cutTail: true };
    throw new CorruptRunError(`${source}: header ${JSON.stringify(lines[headerIdx])} lacks "timestamp" or "${kind}".`, lines[headerIdx]);
  }
  const n = header.length;
  const valueLast = iVal === n - 1;
  for (let i = headerIdx + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) continue;
    try {
      let fields: string[];
      if (valueLast) {
        fields = [];
        let from = 0;
        for (let k = 0; k < n - 1; k++) {
          const p = line.indexOf("|", from);
          if (p < 0) throw new SyntaxError("too few fields");
          fields.push(line.slice(from, p));
          from = p + 1;
        }
        fields.push(line.slice(from));
      } else {
        fields = line.split("|");
        if (fields.length !== n) throw new SyntaxError("wrong number of fields");
      }
      const ms = parsePyTimestamp(fields[iTs]!);
      if (Number.isNaN(ms)) throw new SyntaxError(`bad timestamp ${fields[iTs]}`);
      rows.push({
        step: iStep < 0 ? null : parseStep(fields[iStep]),
        timestamp: new Date(ms),
        value: parseCsvValue(kind, fields[iVal]!) as V,
      });
    } catch (err) {
      fail(i, err);
    }
  }
  return { rows, cutTail };
}

async function readEventText(runPath: string, kind: string, name: string): Promise<{ path: string; text: string }> {
  const path = eventPath(await localRunPath(runPath), kind, toFqnName(name));
  try {
    return { path, text: await readRegularText(path, "reading events") };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ArtifactNotFoundError(`no ${kind} events named "${name}" in ${runPath} (looked for ${path}).`, path, err);
    }
    throw err;
  }
}

/**
 * Reads every event of one stream (`events/<kind>/<name>.plx`) with its step, time and typed
 * value. The name goes through the same sanitising as when it was logged. `runPath` may be a run
 * in object storage, `s3://bucket/prefix/<uuid>` (read through a local cache). Of a `model`
 * stream only the version rows are returned: the companion rows that mark pruned versions are
 * read by `readPrunedVersions` (`parseEvents` returns every row, as Polyaxon's readers see them).
 *
 * @example
 * const loss = await readEvents(run.artifactsPath, "metric", "loss"); // [{ step: 0, timestamp, value: 0.69 }, …]
 */
export async function readEvents<K extends string>(runPath: string, kind: K, name: string): Promise<EventRow<EventValue<K>>[]> {
  const { path, text } = await readEventText(runPath, kind, name);
  const rows = parseEvents<EventValue<K>>(kind, text, path).rows;
  return kind === "model" ? rows.filter((r) => !prunedStepsOfRow(r.value)) : rows;
}

/** Synchronous `parseEvents` of a file path (used when a run ends inside an exit hook). */
export function readEventFileSync(path: string, kind: string): ParsedEvents {
  return parseEvents(kind, readRegularTextSync(path, "reading events"), path);
}

/** A metric stream as columns: `steps` (NaN where a row has no step), `timestamps` (epoch ms), `values`. */
export interface MetricColumns {
  steps: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
  length: number;
}

/**
 * Reads a metric stream into typed arrays without building an object per row — the fast path
 * for large files (charts, summaries, comparisons).
 */
export async function readMetricColumns(runPath: string, name: string): Promise<MetricColumns> {
  const { path, text } = await readEventText(runPath, "metric", name);
  return parseMetricColumns(text, path);
}

export function parseMetricColumns(text: string, source = "<text>"): MetricColumns {
  const headerEnd = text.indexOf("\n");
  const header = (headerEnd < 0 ? text : text.slice(0, headerEnd)).split("|");
  const standard = header[0] === "step" && header[1] === "timestamp" && header[2] === "metric";
  if (!standard) {
    const parsed = parseEvents<number>("metric", text, source).rows;
    const cols = allocColumns(parsed.length);
    parsed.forEach((r, i) => {
      cols.steps[i] = r.step ?? Number.NaN;
      cols.timestamps[i] = r.timestamp.getTime();
      cols.values[i] = r.value;
    });
    return cols;
  }
  let cap = 1024;
  let steps: Float64Array = new Float64Array(cap);
  let times: Float64Array = new Float64Array(cap);
  let values: Float64Array = new Float64Array(cap);
  let n = 0;
  let lastTsPrefix = "";
  let lastTsBase = 0;
  let pos = headerEnd < 0 ? text.length : headerEnd + 1;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = len;
    const p1 = text.indexOf("|", pos);
    const p2 = p1 < 0 || p1 >= end ? -1 : text.indexOf("|", p1 + 1);
    if (p2 < 0 || p2 >= end) {
      if (end === len) break; // a row cut by a kill
      throw new CorruptRunError(`${source}: a row has too few fields.`, text.slice(pos, end));
    }
    // step
    let step = Number.NaN;
    if (p1 > pos) {
      step = 0;
      for (let i = pos; i < p1; i++) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) {
          step = Number(text.slice(pos, p1));
          break;
        }
        step = step * 10 + c;
      }
    }
    // timestamp: "YYYY-MM-DD HH:MM:SS" prefix cached, fraction added
    const ts = text.slice(p1 + 1, p2);
    const prefix = ts.slice(0, 19);
    let ms: number;
    if (prefix === lastTsPrefix && (ts.length === 32 || ts.length === 25) && ts.charCodeAt(19) === 46) {
      ms = lastTsBase + (ts.charCodeAt(20) - 48) * 100 + (ts.charCodeAt(21) - 48) * 10 + (ts.charCodeAt(22) - 48);
    } else {
      ms = parsePyTimestamp(ts);
      if (Number.isNaN(ms)) {
        if (end === len) break;
        throw new CorruptRunError(`${source}: bad timestamp ${JSON.stringify(ts)}.`, ts);
      }
      if (ts.endsWith("+00:00") || ts.endsWith("Z")) {
        lastTsPrefix = prefix;
        lastTsBase = ms - (ms % 1000);
      } else lastTsPrefix = "";
    }
    const raw = text.slice(p2 + 1, end);
    const v = parsePyFloat(raw);
    if (Number.isNaN(v) && raw !== "nan" && raw !== "NaN") {
      if (end === len) break;
      throw new CorruptRunError(`${source}: bad metric value ${JSON.stringify(raw)}.`, raw);
    }
    if (n === cap) {
      cap *= 2;
      steps = grow(steps, cap);
      times = grow(times, cap);
      values = grow(values, cap);
    }
    steps[n] = step;
    times[n] = ms;
    values[n] = v;
    n++;
    pos = end + 1;
  }
  return { steps: steps.subarray(0, n), timestamps: times.subarray(0, n), values: values.subarray(0, n), length: n };
}

function grow(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

function allocColumns(n: number): MetricColumns {
  return { steps: new Float64Array(n), timestamps: new Float64Array(n), values: new Float64Array(n), length: n };
}

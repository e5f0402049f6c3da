import { closeSync, fstatSync, readSync } from "node:fs";
import type * as fsp from "node:fs/promises";
import { openRegular, openRegularSync } from "../fs-safe.js";
import { isJsonlKind } from "../kinds.js";
import { parseEvents, readEvents } from "../events/reader.js";
import type { EventRow } from "../events/rows.js";
import { assertRealpathInside, eventPath } from "../paths.js";
import { openRunFile } from "./read-file.js";
import type { MetricLast } from "./summary.js";

/** The first read from the end; doubled until a whole row is found (model rows carry a summary). */
const FIRST_TAIL_BYTES = 8192;
/** A header longer than this is not one of ours or Polyaxon's. */
const MAX_HEADER_BYTES = 4096;

/** Reads `len` bytes at `pos`; the one I/O difference between the sync and async readers. */
type ReadAt = (pos: number, len: number) => Buffer | Promise<Buffer>;

/**
 * The header of a CSV event file (`step|timestamp|metric`, or traceml's fixtures'
 * `timestamp|step|metric`), or null for a JSONL file (html, text, chart, span).
 * Undefined when the file has no usable first line.
 */
function headerOf(kind: string, head: string, size: number): string | null | undefined {
  const nl = head.indexOf("\n");
  const first = nl < 0 ? (head.length === size ? head : undefined) : head.slice(0, nl);
  if (first === undefined) return undefined;
  if (isJsonlKind(kind) && !/^(step|timestamp)\|/.test(first)) return null;
  const cols = first.split("|");
  return cols.includes("timestamp") && cols.includes(kind) ? first : undefined;
}

/** The last whole row among `lines` (checked from the end), parsed by the one row parser. */
function lastWholeRow<V>(kind: string, header: string | null, lines: string[]): EventRow<V> | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.length === 0 || line === header) continue;
    try {
      const rows = parseEvents<V>(kind, header === null ? line : `${header}\n${line}`).rows;
      if (rows.length === 1) return rows[0];
    } catch {
      // not a row of this file (a cut one): look further back
    }
  }
  return undefined;
}

function* tailSteps(size: number): Generator<number> {
  for (let len = Math.min(size, FIRST_TAIL_BYTES); ; len = Math.min(size, len * 2)) {
    yield len;
    if (len === size) return;
  }
}

/** Sync and async share this walk: read the header, then ever larger tails until a whole row appears. */
function* walk<V>(kind: string, size: number): Generator<{ pos: number; len: number }, EventRow<V> | undefined, Buffer> {
  if (size === 0) return undefined;
  const head = (yield { pos: 0, len: Math.min(size, MAX_HEADER_BYTES) }).toString("utf8");
  const header = headerOf(kind, head, size);
  if (header === undefined) return undefined;
  for (const len of tailSteps(size)) {
    const text = (yield { pos: size - len, len }).toString("utf8");
    const lines = text.split("\n");
    // The first line of a partial read may be the second half of a row.
    if (len < size) lines.shift();
    const row = lastWholeRow<V>(kind, header, lines);
    if (row) return row;
  }
  return undefined;
}

function runSync<V>(kind: string, size: number, read: (pos: number, len: number) => Buffer): EventRow<V> | undefined {
  const it = walk<V>(kind, size);
  let step = it.next(undefined as unknown as Buffer);
  while (!step.done) step = it.next(read(step.value.pos, step.value.len));
  return step.value;
}

async function runAsync<V>(kind: string, size: number, read: ReadAt): Promise<EventRow<V> | undefined> {
  const it = walk<V>(kind, size);
  let step = it.next(undefined as unknown as Buffer);
  while (!step.done) step = it.next(await read(step.value.pos, step.value.len));
  return step.value;
}

/**
 * The last whole row of an event file, read from its end only (a metric file of a million
 * rows costs a few KiB), found by the file's header — never assuming `step` is the first
 * column. A row cut by a kill (only the last one can be) is skipped. Undefined when the file
 * is missing, empty, or has no whole row.
 *
 * @example
 * const last = await lastRow(eventPath(runPath, "metric", "loss"), "metric"); // { step: 99, timestamp, value: 0.01 }
 */
export async function lastRow<V = unknown>(file: string, kind: string): Promise<EventRow<V> | undefined> {
  let fh: fsp.FileHandle;
  try {
    fh = await openRegular(file, "r", "reading the tail of an event file");
  } catch {
    return undefined;
  }
  try {
    const { size } = await fh.stat();
    return await runAsync<V>(kind, size, async (pos, len) => {
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      return buf.subarray(0, bytesRead);
    });
  } finally {
    await fh.close();
  }
}

/** {@link lastRow}, synchronously (for constructors and resume paths). */
export function lastRowSync<V = unknown>(file: string, kind: string): EventRow<V> | undefined {
  let fd: number;
  try {
    fd = openRegularSync(file, "r", "reading the tail of an event file");
  } catch {
    return undefined;
  }
  try {
    return runSync<V>(kind, fstatSync(fd).size, (pos, len) => {
      const buf = Buffer.alloc(len);
      const n = readSync(fd, buf, 0, len, pos);
      return buf.subarray(0, n);
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * The step of the last whole row of an event file (see {@link lastRow}); undefined when there is
 * none or it has no step. A row cut by a kill is not counted: resuming removes it, so its step
 * is the one to log again.
 *
 * @example
 * const next = (lastStepSync(eventPath(runPath, "metric", "batch_loss"), "metric") ?? -1) + 1;
 */
export function lastStepSync(file: string, kind: string): number | undefined {
  return lastRowSync(file, kind)?.step ?? undefined;
}

/** One buffer for {@link lastMetricRow}'s first read: a listing reads thousands of metric files in a row. */
const FIRST_READ = Buffer.allocUnsafe(16 * 1024);

/**
 * The last value of a metric file and its step (see {@link lastRow}); what run listings show.
 * Tuned for a listing that reads one per run of a sweep: one read of up to 16 KiB from the start
 * holds most metric files whole, with no `fstat` and no second read; a larger file goes through
 * the tail walk. Opened without following a symlink or blocking on a FIFO (see read-file.ts).
 */
export function lastMetricRow(file: string): MetricLast | undefined {
  const fd = openRunFile(file);
  if (fd === undefined) return undefined;
  try {
    const n = readSync(fd, FIRST_READ, 0, FIRST_READ.length, 0);
    let row: EventRow<number> | undefined;
    if (n < FIRST_READ.length) row = lastRowOfWhole<number>("metric", FIRST_READ, n);
    else {
      const st = fstatSync(fd);
      if (!st.isFile()) return undefined; // a device that never ends
      row = runSync<number>("metric", st.size, (pos, len) => {
        const buf = Buffer.allocUnsafe(len);
        return buf.subarray(0, readSync(fd, buf, 0, len, pos));
      });
    }
    return row && { step: row.step, value: row.value };
  } catch {
    return undefined; // a FIFO (EAGAIN), a folder (EISDIR), a file that vanished
  } finally {
    closeSync(fd);
  }
}

/** The last whole row of a file held whole in `buf[0, n)`: its lines decoded one at a time from the end. */
function lastRowOfWhole<V>(kind: string, buf: Buffer, n: number): EventRow<V> | undefined {
  const nl = buf.indexOf(10);
  const header = headerOf(kind, buf.toString("utf8", 0, nl < 0 || nl >= n ? n : nl + 1), n);
  if (header === undefined) return undefined;
  for (let end = n; end > 0; ) {
    const start = end > 0 ? buf.lastIndexOf(10, end - 1) + 1 : 0;
    const row = lastWholeRow<V>(kind, header, [buf.toString("utf8", start, end)]);
    if (row) return row;
    end = start - 1;
  }
  return undefined;
}

/**
 * The last `limit` rows of a stream of a run folder (curves, confusion matrices…), with ISO
 * timestamps, ready to send as JSON.
 * @throws ArtifactNotFoundError when the run has no such stream.
 * @example await lastRows(runPath, "curve", "roc", 10); // [{ step: 9, timestamp: "2024-…Z", value: { x, y, annotation } }]
 */
export async function lastRows(runPath: string, kind: string, name: string, limit = 200): Promise<Array<{ step: number | null; timestamp: string; value: unknown }>> {
  assertRealpathInside(runPath, eventPath(runPath, kind, name), "event stream");
  const rows = await readEvents(runPath, kind, name);
  return rows.slice(-limit).map((r) => ({ step: r.step, timestamp: r.timestamp.toISOString(), value: r.value }));
}

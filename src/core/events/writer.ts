import { closeSync, existsSync, ftruncateSync, fstatSync, linkSync, mkdirSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { RuntrailError, RunWriteError } from "../errors.js";
import { openRegularSync } from "../fs-safe.js";
import { isJsonlKind } from "../kinds.js";
import { eventPath, RunLayout } from "../paths.js";
import { isCompleteRow } from "./rows.js";
import { lazyCrypto } from "../builtins.js";

/** Past this many buffered characters a stream is written at once instead of waiting for the timer. */
export const CHUNK_CHARS = 64 * 1024;

/** One `events/<kind>/<name>.plx` file: rows are appended to `pending` and written in chunks. */
export class EventStream {
  pending = "";
  fd = -1;
  readonly jsonl: boolean;
  constructor(
    readonly kind: string,
    readonly name: string,
    readonly path: string,
  ) {
    this.jsonl = isJsonlKind(kind);
  }
}

/**
 * Buffered writer for a run's event files, in the manner of sonic-boom: rows accumulate in a
 * string per file and are written with one `writeSync` per chunk — on the interval timer,
 * when a chunk fills up, on `flush()`, and from the exit hooks. A kill can lose at most the
 * rows buffered since the last write (one flush interval); a row cut by a kill mid-write can
 * only be the last one of its file and is removed before the next append.
 */
export class EventWriter {
  private readonly streams = new Map<string, EventStream>();
  private readonly dirty = new Set<EventStream>();
  private timer: NodeJS.Timeout | undefined;
  /** A failure of a timer flush, kept until someone can be told: the next `flush()` or `end()`. */
  private backgroundError: RuntrailError | undefined;
  /** The last background write failed: full chunks are left to the timer. */
  private stalled = false;

  constructor(
    private readonly runPath: string,
    flushIntervalMs: number,
    /** The folder of the streams: `events`, or `resources` for system metrics (same format). */
    private readonly folder: string = RunLayout.events,
  ) {
    if (flushIntervalMs > 0) {
      this.timer = setInterval(() => this.flushInBackground(), flushIntervalMs);
      this.timer.unref();
    }
  }

  /** The stream for an already sanitised (kind, name). The file is opened on first write. */
  stream(kind: string, name: string): EventStream {
    const key = `${kind}/${name}`;
    let s = this.streams.get(key);
    if (s === undefined) {
      const path = this.folder === RunLayout.events ? eventPath(this.runPath, kind, name) : join(this.runPath, this.folder, kind, `${name}.plx`);
      s = new EventStream(kind, name, path);
      this.streams.set(key, s);
    }
    return s;
  }

  /** Buffers one row (which starts with "\n"). */
  append(s: EventStream, row: string): void {
    s.pending += row;
    if (s.pending.length >= CHUNK_CHARS && !this.stalled) this.writeInBackground(s);
    else this.dirty.add(s);
  }

  /** Appends one row and writes it at once (versioned assets: the row must exist before lineage names it). */
  appendNow(s: EventStream, row: string): void {
    s.pending += row;
    this.writeStream(s);
  }

  /**
   * Writes every buffered row.
   * @throws RunWriteError (also one left over from a background flush); NotRegularFileError when an event file is a FIFO or device.
   */
  flushSync(): void {
    const failures: unknown[] = [];
    for (const s of [...this.dirty]) {
      try {
        this.writeStream(s);
      } catch (err) {
        failures.push(err);
      }
    }
    const earlier = this.backgroundError;
    this.backgroundError = undefined;
    if (failures.length) throw failures[0];
    this.stalled = false;
    if (earlier) throw earlier;
  }

  /** Flushes what it can and swallows nothing: errors are kept for the next `flush()`/`end()`. */
  flushInBackground(): void {
    for (const s of [...this.dirty]) this.writeInBackground(s);
  }

  /**
   * A write nobody is waiting for (timer, full chunk): a failure must not reach the logging call.
   * After one, full chunks wait for the timer's retries instead of failing on every row.
   */
  private writeInBackground(s: EventStream): void {
    try {
      this.writeStream(s);
      this.stalled = false;
    } catch (err) {
      this.stalled = true;
      this.keepBackgroundError(err as RuntrailError);
    }
  }

  /** Keeps a failure nobody asked to see (the first since the last report) for the next `flush()`/`end()`, with one warning. */
  keepBackgroundError(err: RuntrailError): void {
    if (this.backgroundError) return;
    this.backgroundError = err;
    process.emitWarning(
      `runtrail could not write to the run (what failed is kept in memory and retried; run.flush() will throw this): ${err.message}`,
      { code: "RUNTRAIL_WRITE_FAILED" },
    );
  }

  /** Best-effort flush from exit hooks; never throws. */
  flushQuietly(): void {
    try {
      this.flushSync();
    } catch {
      // Exit path: the error was already reported as a warning or to the caller.
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const s of this.streams.values()) {
      if (s.fd >= 0) {
        try {
          closeSync(s.fd);
        } catch {
          // Closing a descriptor whose data was already written cannot lose anything.
        }
        s.fd = -1;
      }
    }
  }

  private writeStream(s: EventStream): void {
    if (s.pending.length === 0) {
      this.dirty.delete(s);
      return;
    }
    try {
      if (s.fd < 0) s.fd = openStreamFile(s, this.runPath);
      const buf = Buffer.from(s.pending, "utf8");
      let off = 0;
      try {
        while (off < buf.length) off += writeSync(s.fd, buf, off, buf.length - off);
      } catch (err) {
        if (off > 0) undoPartialWrite(s, off);
        throw err;
      }
      s.pending = "";
      this.dirty.delete(s);
    } catch (err) {
      this.dirty.add(s);
      if (err instanceof RuntrailError) throw err; // RunWriteError, or NotRegularFileError: already says what to do
      throw new RunWriteError(
        `could not write ${s.path}: ${(err as Error).message}. The rows are kept in memory; free space or fix permissions and call run.flush() again.`,
        s.path,
        err,
      );
    }
  }
}

/**
 * A disk that fills up mid-chunk takes part of it: cut those bytes off again so the retry, which
 * writes the whole chunk, cannot leave a half row inside the file. If even that fails, keep only
 * the unwritten bytes so the retry completes the rows already begun.
 */
function undoPartialWrite(s: EventStream, written: number): void {
  try {
    ftruncateSync(s.fd, fstatSync(s.fd).size - written);
  } catch {
    s.pending = Buffer.from(s.pending, "utf8").subarray(written).toString("utf8");
  }
}

/**
 * Opens an event file for appending: creates it with its header (CSV) or empty (JSONL), or,
 * when it exists (a resumed run), removes a last row that a kill cut in half.
 * @throws NotRegularFileError when the file is a FIFO, socket or device (nothing blocks).
 */
function openStreamFile(s: EventStream, runPath: string): number {
  mkdirSync(dirname(s.path), { recursive: true });
  const header = s.jsonl ? "" : `step|timestamp|${s.kind}`;
  if (header && !existsSync(s.path)) createWithHeader(s.path, header, runPath);
  const fd = openRegularSync(s.path, "a+", `appending to the run's events`);
  try {
    repairTail(fd, s, header);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/** How much of a file's end is read at a time while looking for its last newline. */
const TAIL_WINDOW = 1 << 20;

/**
 * Makes an existing event file end with a complete row (or its header), working on bytes: the
 * last `\n` is searched in the raw bytes at any distance from the end (a cut row may be many MB
 * long), and the row after it is cut off at that byte offset when it is incomplete. Decoding is
 * only used to judge the row, never to count bytes: a cut inside a multi-byte UTF-8 character
 * decodes to U+FFFD, whose length is not that of the bytes it replaced.
 */
function repairTail(fd: number, s: EventStream, header: string): void {
  const size = fstatSync(fd).size;
  if (size === 0) {
    if (header) writeSync(fd, header);
    return;
  }
  const nl = lastNewline(fd, size);
  if (nl < 0) {
    // Only a header (or a cut header; for JSONL, a cut first row): rewrite it.
    if (size !== Buffer.byteLength(header) || readRange(fd, 0, size).toString("utf8") !== header) {
      ftruncateSync(fd, 0);
      if (header) writeSync(fd, header);
    }
    return;
  }
  const last = readRange(fd, nl + 1, size).toString("utf8");
  // An empty last row is a cut right after the newline: drop the newline too.
  if (last.length === 0 || !isCompleteRow(s.kind, s.jsonl, last)) ftruncateSync(fd, nl);
}

/** Byte offset of the last `\n` in the file, or -1. Reads backwards one window at a time. */
function lastNewline(fd: number, size: number): number {
  const win = Buffer.allocUnsafe(Math.min(size, TAIL_WINDOW));
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - win.length);
    const chunk = win.subarray(0, end - start);
    readFully(fd, chunk, start);
    const i = chunk.lastIndexOf(0x0a);
    if (i >= 0) return start + i;
    end = start;
  }
  return -1;
}

function readRange(fd: number, from: number, to: number): Buffer {
  const buf = Buffer.allocUnsafe(to - from);
  readFully(fd, buf, from);
  return buf;
}

function readFully(fd: number, buf: Buffer, position: number): void {
  for (let off = 0; off < buf.length; ) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) throw new RunWriteError(`an event file shrank while it was being repaired; another process is rewriting it.`, position + off);
    off += n;
  }
}

/**
 * Creates an event file that already holds its header (written aside, then hard-linked into
 * place), so processes that share a run never both write a header into the same new file.
 */
function createWithHeader(path: string, header: string, runPath: string): void {
  const tmp = join(runPath, RunLayout.private, "staging", `${process.pid}-header-${lazyCrypto().randomBytes(6).toString("hex")}`);
  mkdirSync(dirname(tmp), { recursive: true });
  try {
    writeFileSync(tmp, header);
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

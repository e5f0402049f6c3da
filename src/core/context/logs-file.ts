import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { RunWriteError } from "../errors.js";
import { CHUNK_CHARS } from "../events/writer.js";

/** Past this many buffered characters while the disk refuses writes, new lines are counted and dropped. */
export const MAX_PENDING_CHARS = 8 * 1024 * 1024;

/**
 * `plxlogs/logs.jsonl`, written like the event files: records accumulate in one string and are
 * written with one `writeSync` per chunk (when {@link CHUNK_CHARS} accumulate, on the timer, on
 * `flush()`, at exit). Each record is appended as `"\n" + json`, so the file starts empty and never
 * ends with a newline, as Polyaxon's `LogWriter`. A kill can only cut the last record; it is
 * removed when the file is opened again.
 */
export class LogsFile {
  private pending = "";
  private fd = -1;
  private dropped = 0;
  /** Dropped lines already announced in the file by a `droppedRecord`. */
  private announced = 0;
  private failing = false;

  constructor(
    readonly path: string,
    private readonly onError: (err: RunWriteError) => void,
    /** The record that says, once writes work again, how many lines were dropped. */
    private readonly droppedRecord?: (count: number) => string,
  ) {}

  /** Buffers one record (without its leading newline). */
  append(record: string): void {
    if (this.failing && this.pending.length > MAX_PENDING_CHARS) {
      this.dropped++;
      return;
    }
    if (this.dropped > this.announced && this.droppedRecord) {
      // Room again after a drop: say what is missing, where it is missing.
      this.pending += "\n" + this.droppedRecord(this.dropped - this.announced);
      this.announced = this.dropped;
    }
    this.pending += "\n" + record;
    if (this.pending.length >= CHUNK_CHARS && !this.failing) this.flushQuietly();
  }

  /** Lines dropped because the disk refused writes for too long (memory stays bounded). */
  get droppedLines(): number {
    return this.dropped;
  }

  /** Creates the file (empty, as Polyaxon's writer does) or opens it for appending; a failure goes to `onError`. */
  open(): void {
    if (this.fd >= 0) return;
    try {
      this.fd = openLogsFile(this.path);
    } catch (err) {
      this.onError(new RunWriteError(`could not open ${this.path}: ${(err as Error).message}`, this.path, err));
    }
  }

  /** Writes what is buffered. @throws RunWriteError */
  flush(): void {
    if (this.pending.length === 0) return;
    try {
      if (this.fd < 0) this.fd = openLogsFile(this.path);
      const buf = Buffer.from(this.pending, "utf8");
      let off = 0;
      try {
        while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (err) {
        // Never leave half a record in the file: cut the partial write off again, retry it whole.
        if (off > 0) ftruncateSync(this.fd, fstatSync(this.fd).size - off);
        throw err;
      }
      this.pending = "";
      this.failing = false;
    } catch (err) {
      this.failing = true;
      throw new RunWriteError(
        `could not write ${this.path}: ${(err as Error).message}. Captured lines are kept in memory (up to ${MAX_PENDING_CHARS / 1024 / 1024} MiB); free space or fix permissions.`,
        this.path,
        err,
      );
    }
  }

  /** A flush nobody waits for (timer, full chunk, exit): a failure goes to `onError`, never to the printing code. */
  flushQuietly(): void {
    try {
      this.flush();
    } catch (err) {
      this.onError(err as RunWriteError);
    }
  }

  close(): void {
    this.flushQuietly();
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // Its data was written already.
      }
      this.fd = -1;
    }
  }
}

/** Opens the file for appending; a last record cut by a kill (not valid JSON) is removed first. */
function openLogsFile(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "a+");
  const size = fstatSync(fd).size;
  if (size === 0) return fd;
  const tailLen = Math.min(size, 1 << 20);
  const tail = Buffer.alloc(tailLen);
  readSync(fd, tail, 0, tailLen, size - tailLen);
  const text = tail.toString("utf8");
  const nl = text.lastIndexOf("\n");
  const last = text.slice(nl + 1);
  if (last.length === 0) return fd;
  try {
    JSON.parse(last);
  } catch {
    ftruncateSync(fd, size - Buffer.byteLength(last, "utf8") - (nl >= 0 ? 1 : 0));
  }
  return fd;
}

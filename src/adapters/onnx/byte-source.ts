import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * Random-access bytes the protobuf reader decodes from: a buffer in memory, or a file read
 * through a small window so that decoding a large model's metadata never loads its weights.
 */
export interface ByteSource {
  /** Total number of bytes. */
  readonly length: number;
  /** The byte at `offset` (the caller checks bounds). */
  byteAt(offset: number): number;
  /**
   * `length` bytes from `offset`. A memory source returns a view; a file source returns a
   * fresh copy, so callers only ask for small values (names, shapes, attributes).
   */
  slice(offset: number, length: number): Uint8Array;
}

/** A {@link ByteSource} over bytes already in memory; slices are views, never copies. */
export class MemorySource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}

  get length(): number {
    return this.bytes.length;
  }

  byteAt(offset: number): number {
    return this.bytes[offset]!;
  }

  slice(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
}

const WINDOW = 1 << 16;

/**
 * A {@link ByteSource} over an open file. Varints are read through one 64 KiB window that is
 * refilled on demand, so skipping a tensor's payload costs nothing but moving the offset.
 * Call {@link FileSource.close} when done.
 */
export class FileSource implements ByteSource {
  readonly length: number;
  private readonly fd: number;
  private readonly window = Buffer.allocUnsafe(WINDOW);
  private windowStart = 0;
  private windowEnd = 0;

  constructor(path: string) {
    this.fd = openSync(path, "r");
    try {
      this.length = fstatSync(this.fd).size;
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  byteAt(offset: number): number {
    if (offset < this.windowStart || offset >= this.windowEnd) this.fill(offset);
    return this.window[offset - this.windowStart]!;
  }

  slice(offset: number, length: number): Uint8Array {
    if (offset >= this.windowStart && offset + length <= this.windowEnd) {
      return Uint8Array.prototype.slice.call(this.window, offset - this.windowStart, offset - this.windowStart + length);
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? out : out.subarray(0, done);
  }

  /** Closes the file. */
  close(): void {
    closeSync(this.fd);
  }

  private fill(offset: number): void {
    const n = readSync(this.fd, this.window, 0, WINDOW, offset);
    this.windowStart = offset;
    this.windowEnd = offset + n;
    if (n === 0) throw new RangeError(`read past the end of the file at byte ${offset}`);
  }
}

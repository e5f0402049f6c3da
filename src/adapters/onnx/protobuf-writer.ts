/**
 * A small writer for the protobuf wire format, the counterpart of `protobuf.ts`. Nested
 * messages are kept as lists of chunks and joined once in `finish()`, so large weight buffers
 * are copied a single time.
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private scratch: number[] = [];

  /** Total encoded length so far. */
  get length(): number {
    return this.size + this.scratch.length;
  }

  /** A varint field (`int32`, `int64`, `uint64`, `bool`, enums); negative values take 10 bytes, as in protobuf. */
  varint(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.rawVarint(value);
    return this;
  }

  /** A UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A length-delimited bytes field; the bytes are referenced, not copied, until `finish()`. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.rawVarint(value.length);
    this.push(value);
    return this;
  }

  /** A nested message field, written by `build` into its own writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    inner.flushScratch();
    this.key(field, 2);
    this.rawVarint(inner.size);
    for (const chunk of inner.chunks) this.push(chunk);
    return this;
  }

  /** A `float` field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  /** A packed repeated varint field (`repeated int64 … [packed = true]`). */
  packedVarints(field: number, values: ReadonlyArray<number | bigint>): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    inner.flushScratch();
    this.key(field, 2);
    this.rawVarint(inner.size);
    for (const chunk of inner.chunks) this.push(chunk);
    return this;
  }

  /** Joins every chunk into one buffer. */
  finish(): Uint8Array {
    this.flushScratch();
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  private key(field: number, wireType: number): void {
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number | bigint): void {
    if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      let v = value;
      while (v >= 0x80) {
        this.scratch.push((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.scratch.push(v);
      return;
    }
    if (typeof value === "number" && !Number.isInteger(value)) throw new RangeError(`varint value ${value} is not an integer`);
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private push(chunk: Uint8Array): void {
    this.flushScratch();
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    const bytes = Uint8Array.from(this.scratch);
    this.scratch = [];
    this.chunks.push(bytes);
    this.size += bytes.length;
  }
}

/**
 * A small reader for the protobuf wire format: varints, length-delimited fields and
 * fixed32/fixed64 values. It knows nothing about ONNX; `model-proto.ts` gives fields meaning.
 * It reads from a {@link ByteSource}: bytes in memory (length-delimited values are views, no
 * copies) or a file read through a window. A nested message can be read in place
 * ({@link ProtoReader.readNested}) and an unused field is skipped by moving the offset, so
 * reading the metadata of a large model neither loads nor duplicates its weights.
 */
import { MemorySource, type ByteSource } from "./byte-source.js";


/** Protobuf wire types (groups, 3 and 4, are deprecated and rejected). */
export const WireType = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** The bytes do not follow the protobuf wire format. Internal: callers wrap it in a named error. */
export class WireFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = "WireFormatError";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Sequential reader over one message (`start`..`end` of `bytes`). */
export class ProtoReader {
  private pos: number;
  private readonly source: ByteSource;
  private readonly start: number;
  private readonly end: number;

  constructor(bytes: Uint8Array | ByteSource, start = 0, end?: number) {
    this.source = bytes instanceof Uint8Array ? new MemorySource(bytes) : bytes;
    this.start = start;
    this.pos = start;
    this.end = end ?? this.source.length;
  }

  /** True once every field of the message has been read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Byte offset of the next read, for error messages. */
  get offset(): number {
    return this.pos;
  }

  /** Reads a field key: the field number and its wire type. */
  readTag(): { field: number; wireType: WireType } {
    const at = this.pos;
    const key = this.readUint32();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw new WireFormatError("field number 0", at);
    if (wireType !== 0 && wireType !== 1 && wireType !== 2 && wireType !== 5) {
      throw new WireFormatError(`unsupported wire type ${wireType} (field ${field})`, at);
    }
    return { field, wireType };
  }

  /** An unsigned varint of at most 32 bits (keys, lengths, enums). */
  readUint32(): number {
    const at = this.pos;
    let result = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.nextByte(at);
      // Bits past 32 (a negative int32 enum is sign-extended to 10 bytes) are dropped, as protobuf does.
      if (i < 5) result += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return result % 2 ** 32;
    }
    throw new WireFormatError("varint longer than 10 bytes", at);
  }

  /** A full 64-bit varint, unsigned. */
  readVarint64(): bigint {
    const at = this.pos;
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.nextByte(at);
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new WireFormatError("varint longer than 10 bytes", at);
  }

  /** An `int64` field as a number (exact up to 2^53, which every ONNX count and dim fits in). */
  readInt64(): number {
    return Number(BigInt.asIntN(64, this.readVarint64()));
  }

  /** An `int32` field (enums, data types). */
  readInt32(): number {
    return this.readUint32() | 0;
  }

  /** A length-delimited value's bytes (a view when the source is in memory). */
  readBytes(): Uint8Array {
    const { start, length } = this.readLength();
    return this.source.slice(start, length);
  }

  /** A length-delimited value as a reader over the same source: nothing is read until it is. */
  readNested(): ProtoReader {
    const { start, length } = this.readLength();
    return new ProtoReader(this.source, start, start + length);
  }

  /** Byte length of the message this reader covers. */
  get byteLength(): number {
    return this.end - this.start;
  }

  private readLength(): { start: number; length: number } {
    const at = this.pos;
    // Lengths are int32 on the wire; a larger varint cannot be a valid length.
    const length = this.readUint32();
    if (length > this.end - this.pos) {
      throw new WireFormatError(`length ${length} runs past the end of the data (${this.end - this.pos} bytes left)`, at);
    }
    const start = this.pos;
    this.pos += length;
    return { start, length };
  }

  /** A length-delimited value decoded as UTF-8. */
  readString(): string {
    const at = this.pos;
    const view = this.readBytes();
    try {
      return utf8.decode(view);
    } catch {
      throw new WireFormatError("string field is not valid UTF-8", at);
    }
  }

  /** A 4-byte little-endian float. */
  readFloat(): number {
    return this.view(4).getFloat32(0, true);
  }

  /** An 8-byte little-endian double. */
  readDouble(): number {
    return this.view(8).getFloat64(0, true);
  }

  /** Skips the value of a field whose number the caller does not use. */
  skip(wireType: WireType): void {
    switch (wireType) {
      case WireType.VARINT:
        this.readVarint64();
        return;
      case WireType.FIXED64:
        this.view(8);
        return;
      case WireType.LEN:
        this.readLength();
        return;
      case WireType.FIXED32:
        this.view(4);
        return;
    }
  }

  private view(size: number): DataView {
    if (size > this.end - this.pos) throw new WireFormatError(`fixed${size * 8} value runs past the end of the data`, this.pos);
    const bytes = this.source.slice(this.pos, size);
    this.pos += size;
    return new DataView(bytes.buffer, bytes.byteOffset, size);
  }

  private nextByte(start: number): number {
    if (this.pos >= this.end) throw new WireFormatError("data ends inside a varint", start);
    return this.source.byteAt(this.pos++);
  }
}

/** Handlers keyed by field number; each reads its field's value from the reader. */
export type FieldHandlers = Partial<Record<number, (reader: ProtoReader, wireType: WireType) => void>>;

/**
 * Reads every field of one message (its bytes, or a reader from {@link ProtoReader.readNested}),
 * calling the handler of its number and skipping the others (unknown fields are legal protobuf).
 */
export function readMessage(message: Uint8Array | ProtoReader, handlers: FieldHandlers): void {
  const reader = message instanceof ProtoReader ? message : new ProtoReader(message);
  while (!reader.done) {
    const { field, wireType } = reader.readTag();
    const handle = handlers[field];
    if (handle) handle(reader, wireType);
    else reader.skip(wireType);
  }
}

/**
 * Asserts a known field has the wire type its schema declares; a mismatch means the bytes are
 * not the message the caller thinks they are.
 */
export function expectWireType(reader: ProtoReader, wireType: WireType, expected: WireType, what: string): void {
  if (wireType !== expected) {
    throw new WireFormatError(`${what} has wire type ${wireType}, expected ${expected}`, reader.offset);
  }
}

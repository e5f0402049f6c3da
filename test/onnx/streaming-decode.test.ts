// The decoder reads a model's headers and skips tensor payloads: checked by counting the bytes
// it asks its source for, over a real file.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileSource, MemorySource, type ByteSource } from "../../src/adapters/onnx/byte-source.js";
import { decodeModelProto } from "../../src/adapters/onnx/model-proto.js";
import { ProtoReader, readMessage } from "../../src/adapters/onnx/protobuf.js";
import { ProtoWriter } from "../../src/adapters/onnx/protobuf-writer.js";
import { buildLinearRelu } from "../fixtures/onnx-builder.js";
import { useTmp } from "../helpers/tmp.js";

/** A source that counts every byte handed out. */
class CountingSource implements ByteSource {
  touched = 0;
  constructor(private readonly inner: ByteSource) {}
  get length(): number {
    return this.inner.length;
  }
  byteAt(offset: number): number {
    this.touched++;
    return this.inner.byteAt(offset);
  }
  slice(offset: number, length: number): Uint8Array {
    this.touched += length;
    return this.inner.slice(offset, length);
  }
}

describe("decoding from a file source", () => {
  const tmp = useTmp();

  it("reads a 4 MB model's signature touching under 1 KB of it, and equals the in-memory decode", () => {
    const model = buildLinearRelu({ inFeatures: 1024, outFeatures: 1024 });
    expect(model.bytes.byteLength).toBeGreaterThan(4 * 2 ** 20);
    const path = join(tmp(), "wide.onnx");
    writeFileSync(path, model.bytes);
    const file = new FileSource(path);
    try {
      const counting = new CountingSource(file);
      const decoded = decodeModelProto(counting);
      expect(counting.touched).toBeLessThan(1024);
      expect(decoded).toEqual(decodeModelProto(model.bytes));
      expect(decoded.initializers).toEqual({ count: 2, sparseCount: 0, elements: 1024 * 1024 + 1024, types: { float32: 2 } });
    } finally {
      file.close();
    }
  });

  it("reads nested messages in place, across the file window's boundary", () => {
    // A first field of 100 KB pushes the nested message past the 64 KiB window.
    const bytes = new ProtoWriter()
      .bytes(1, new Uint8Array(100_000).fill(7))
      .message(2, (w) => w.varint(1, 2 ** 40).string(2, "après").float(3, 0.5))
      .finish();
    const path = join(tmp(), "nested.bin");
    writeFileSync(path, bytes);
    for (const source of [new MemorySource(bytes), new FileSource(path)]) {
      const seen: unknown[] = [];
      readMessage(new ProtoReader(source), {
        2: (r) => {
          const nested = r.readNested();
          expect(nested.byteLength).toBe(7 + 8 + 5);
          readMessage(nested, { 1: (n) => seen.push(n.readInt64()), 2: (n) => seen.push(n.readString()), 3: (n) => seen.push(n.readFloat()) });
        },
      });
      expect(seen).toEqual([2 ** 40, "après", 0.5]);
      if (source instanceof FileSource) source.close();
    }
  });
});

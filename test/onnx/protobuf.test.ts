import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtoReader, readMessage, WireFormatError } from "../../src/adapters/onnx/protobuf.js";
import { ProtoWriter } from "../../src/adapters/onnx/protobuf-writer.js";

describe("protobuf wire format", () => {
  it("round-trips varints, strings, floats and nested messages", () => {
    const bytes = new ProtoWriter()
      .varint(1, 150)
      .varint(2, -1)
      .varint(3, 2 ** 40)
      .string(4, "héllo")
      .float(5, 1.5)
      .message(6, (w) => w.varint(1, 7).string(2, "inner"))
      .packedVarints(7, [1, 300, 70000])
      .finish();
    const seen: Record<number, unknown> = {};
    readMessage(bytes, {
      1: (r) => (seen[1] = r.readInt64()),
      2: (r) => (seen[2] = r.readInt64()),
      3: (r) => (seen[3] = r.readInt64()),
      4: (r) => (seen[4] = r.readString()),
      5: (r) => (seen[5] = r.readFloat()),
      6: (r) => {
        const inner: unknown[] = [];
        readMessage(r.readBytes(), { 1: (i) => inner.push(i.readInt64()), 2: (i) => inner.push(i.readString()) });
        seen[6] = inner;
      },
      7: (r) => {
        const packed = new ProtoReader(r.readBytes());
        const values: number[] = [];
        while (!packed.done) values.push(packed.readInt64());
        seen[7] = values;
      },
    });
    expect(seen).toEqual({ 1: 150, 2: -1, 3: 2 ** 40, 4: "héllo", 5: 1.5, 6: [7, "inner"], 7: [1, 300, 70000] });
  });

  it("encodes the canonical bytes of field 1 = 150", () => {
    expect([...new ProtoWriter().varint(1, 150).finish()]).toEqual([0x08, 0x96, 0x01]);
  });

  it("round-trips any int64 and string (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.string(), (n, s) => {
        const bytes = new ProtoWriter().varint(1, n).string(2, s).finish();
        const r = new ProtoReader(bytes);
        expect(r.readTag()).toEqual({ field: 1, wireType: 0 });
        expect(BigInt.asIntN(64, r.readVarint64())).toBe(n);
        expect(r.readTag()).toEqual({ field: 2, wireType: 2 });
        expect(r.readString()).toBe(s);
        expect(r.done).toBe(true);
      }),
    );
  });

  it("skips unknown fields of every wire type", () => {
    const bytes = new ProtoWriter().varint(9, 5).float(10, 2).string(11, "x").message(12, (w) => w.varint(1, 1)).varint(1, 42).finish();
    let value = 0;
    readMessage(bytes, { 1: (r) => (value = r.readInt64()) });
    expect(value).toBe(42);
  });

  it.each([
    ["a varint cut short", [0x08, 0x96]],
    ["a length past the end", [0x0a, 0x05, 0x61, 0x62]],
    ["a deprecated group wire type", [0x0b]],
    ["field number 0", [0x00, 0x01]],
    ["a varint longer than 10 bytes", [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ["a fixed64 cut short", [0x09, 0x01, 0x02]],
  ])("rejects %s", (_what, raw) => {
    expect(() => readMessage(Uint8Array.from(raw), {})).toThrow(WireFormatError);
  });

  it("rejects a string that is not UTF-8", () => {
    const bytes = Uint8Array.from([0x0a, 0x02, 0xc3, 0x28]);
    expect(() => readMessage(bytes, { 1: (r) => r.readString() })).toThrow(/UTF-8/);
  });
});

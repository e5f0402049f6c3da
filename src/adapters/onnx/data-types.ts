/**
 * ONNX `TensorProto.DataType` codes and the names runtrail reports for them. The names are the
 * ones onnxruntime-node uses for tensor types (`"float32"`, `"int64"`, `"bool"` …).
 */
const NAMES: Readonly<Record<number, string>> = {
  0: "undefined",
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  14: "complex64",
  15: "complex128",
  16: "bfloat16",
  17: "float8e4m3fn",
  18: "float8e4m3fnuz",
  19: "float8e5m2",
  20: "float8e5m2fnuz",
  21: "uint4",
  22: "int4",
  23: "float4e2m1",
};

/** The data type name of an ONNX element type code (`1` → `"float32"`); unknown codes become `"type<code>"`. */
export function elemTypeName(code: number): string {
  return NAMES[code] ?? `type${code}`;
}

/** ONNX element type codes the writer uses. */
export const ElemType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;

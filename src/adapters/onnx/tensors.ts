import type { OnnxDim } from "./types.js";

/**
 * A tensor value as the user gives it: a tfjs tensor (anything with `shape` and `dataSync()`),
 * an onnxruntime `Tensor` or any `{ data, dims }`, a nested array of numbers, or a flat
 * array / typed array (its dims are then taken from the model's declared shape).
 */
export type OnnxTensorInput =
  | { readonly data: ArrayLike<number | bigint | boolean | string>; readonly dims: readonly number[] }
  | { readonly shape: readonly number[]; dataSync(): ArrayLike<number | bigint | boolean | string> }
  | ArrayLike<number | bigint | boolean>
  | NestedNumbers;

/** A nested array of numbers such as `[[1, 2], [3, 4]]`. */
export type NestedNumbers = ReadonlyArray<number | boolean | NestedNumbers>;

/** Flat values plus dims (`undefined` when the user gave a flat array). */
export interface FlatTensor {
  values: ArrayLike<number | bigint | boolean | string>;
  dims: number[] | undefined;
}

/** Duck-typed tfjs tensor: never `instanceof`, so any copy of tfjs (or tfjs-node) works. */
export function isTfjsTensor(v: unknown): v is { shape: readonly number[]; dataSync(): ArrayLike<number>; data?(): Promise<ArrayLike<number>> } {
  const t = v as { shape?: unknown; dataSync?: unknown };
  return typeof v === "object" && v !== null && Array.isArray(t.shape) && typeof t.dataSync === "function";
}

function isDataDims(v: unknown): v is { data: ArrayLike<number | bigint | boolean | string>; dims: readonly number[] } {
  const t = v as { data?: unknown; dims?: unknown };
  return typeof v === "object" && v !== null && Array.isArray(t.dims) && t.data !== undefined && typeof (t.data as ArrayLike<unknown>).length === "number";
}

/** True for a single tensor value (as opposed to a record or list of them). */
export function isTensorValue(v: unknown): boolean {
  return isTfjsTensor(v) || isDataDims(v) || ArrayBuffer.isView(v) || (Array.isArray(v) && (v.length === 0 || typeof v[0] === "number" || typeof v[0] === "bigint" || typeof v[0] === "boolean" || Array.isArray(v[0])));
}

/**
 * Flattens a tensor value. `undefined` when the value is not one of the accepted forms.
 * tfjs tensors are read with `data()` so a GPU backend is not blocked.
 */
export async function flatten(v: unknown): Promise<FlatTensor | undefined> {
  if (isTfjsTensor(v)) {
    const values = typeof v.data === "function" ? await v.data() : v.dataSync();
    return { values, dims: [...v.shape] };
  }
  if (isDataDims(v)) return { values: v.data, dims: [...v.dims] };
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { values: v as unknown as ArrayLike<number>, dims: undefined };
  if (Array.isArray(v)) {
    if (v.length === 0 || !Array.isArray(v[0])) return { values: v as number[], dims: undefined };
    const dims: number[] = [];
    for (let level: unknown = v; Array.isArray(level); level = level[0]) dims.push(level.length);
    const values: (number | boolean)[] = [];
    if (!collect(v, dims, 0, values)) return undefined;
    return { values, dims };
  }
  return undefined;
}

function collect(v: unknown, dims: number[], depth: number, out: (number | boolean)[]): boolean {
  if (depth === dims.length) {
    if (typeof v !== "number" && typeof v !== "boolean") return false;
    out.push(v);
    return true;
  }
  if (!Array.isArray(v) || v.length !== dims[depth]) return false;
  for (const item of v) if (!collect(item, dims, depth + 1, out)) return false;
  return true;
}

/**
 * Dims for a flat array fed to an input of `shape`: the one unknown or symbolic dim is
 * solved from the length. `undefined` when it cannot be.
 */
export function inferDims(shape: readonly OnnxDim[] | null, length: number): number[] | undefined {
  if (!shape) return [length];
  const free = shape.filter((d) => typeof d !== "number").length;
  const known = shape.reduce<number>((p, d) => (typeof d === "number" ? p * d : p), 1);
  if (free === 0) return known === length ? shape.map(Number) : undefined;
  if (free > 1 || known === 0 || length % known !== 0) return undefined;
  return shape.map((d) => (typeof d === "number" ? d : length / known));
}

type TypedCtor = { from(values: ArrayLike<number>): ArrayLike<number> };

const NUMERIC: Readonly<Record<string, TypedCtor>> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
};

/**
 * Converts flat values to the typed array onnxruntime expects for an element type;
 * `undefined` for a type runtrail cannot build (pass an onnxruntime `Tensor` for those).
 */
export function toOrtData(type: string, values: ArrayLike<number | bigint | boolean | string>): unknown {
  const ctor = NUMERIC[type];
  if (ctor) {
    if (values instanceof (ctor as unknown as new () => object)) return values;
    return ctor.from(Array.from(values, Number));
  }
  switch (type) {
    case "int64":
      return values instanceof BigInt64Array ? values : BigInt64Array.from(Array.from(values, toBigInt));
    case "uint64":
      return values instanceof BigUint64Array ? values : BigUint64Array.from(Array.from(values, toBigInt));
    case "bool":
      return values instanceof Uint8Array ? values : Uint8Array.from(Array.from(values, (x) => (x ? 1 : 0)));
    case "string":
      return Array.from(values, String);
    default:
      return undefined;
  }
}

function toBigInt(x: number | bigint | boolean | string): bigint {
  if (typeof x === "bigint") return x;
  return BigInt(typeof x === "number" ? Math.trunc(x) : Number(x));
}

/** Reads one element as a number for comparisons (`bigint` and `boolean` included). */
export function asNumber(x: unknown): number {
  if (typeof x === "number") return x;
  if (typeof x === "bigint" || typeof x === "boolean") return Number(x);
  return Number.NaN;
}

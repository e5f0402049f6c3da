import type { Weight } from "./graph.js";

/** A weight with its axes permuted on the host (`perm[i]` is the source axis of output axis `i`). */
export function permuteWeight(w: Weight, perm: readonly number[]): { dims: number[]; data: Float32Array } {
  const rank = w.shape.length;
  const dims = perm.map((p) => w.shape[p]!);
  const srcStrides = stridesOf(w.shape);
  const out = new Float32Array(w.data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += index[i]! * srcStrides[perm[i]!]!;
    out[o] = w.data[src]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i]! < dims[i]!) break;
      index[i] = 0;
    }
  }
  return { dims, data: out };
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/** Columns `[from, from + count)` of a row-major 2-D weight (a gate's slice of a fused kernel). */
export function columns(w: Weight, from: number, count: number): Float32Array {
  const [rows, cols] = w.shape as [number, number];
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(w.data.subarray(r * cols + from, r * cols + from + count), r * count);
  return out;
}

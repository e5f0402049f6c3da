/** A chart series: `x` ascending, `y` with `null` where the value is not finite. */
export interface Series {
  x: number[];
  y: Array<number | null>;
}

/**
 * M4 downsampling: splits the points into `floor(maxPoints / 4)` buckets of consecutive
 * points and keeps, per bucket, the first, the minimum, the maximum and the last point (in
 * their original order, without duplicates). Every spike survives, so the drawn line looks
 * like the full one at any width up to the bucket count, and the result never exceeds
 * `maxPoints`. Non-finite values are kept as gaps only when they are a bucket's first or last.
 *
 * @param x ascending x values (step or time)
 * @param y values, same length as `x`
 * @param maxPoints at most this many points come back (minimum 4)
 */
export function downsampleM4(x: ArrayLike<number>, y: ArrayLike<number>, maxPoints: number): Series {
  const n = Math.min(x.length, y.length);
  const out: Series = { x: [], y: [] };
  const push = (i: number): void => {
    const v = y[i]!;
    out.x.push(x[i]!);
    out.y.push(Number.isFinite(v) ? v : null);
  };
  if (n <= maxPoints) {
    for (let i = 0; i < n; i++) push(i);
    return out;
  }
  const buckets = Math.max(1, Math.floor(Math.max(4, maxPoints) / 4));
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    if (to <= from) continue;
    let iMin = -1;
    let iMax = -1;
    for (let i = from; i < to; i++) {
      const v = y[i]!;
      if (!Number.isFinite(v)) continue;
      if (iMin < 0 || v < y[iMin]!) iMin = i;
      if (iMax < 0 || v > y[iMax]!) iMax = i;
    }
    const picks = [from, iMin, iMax, to - 1].filter((i) => i >= 0).sort((a, b2) => a - b2);
    let prev = -1;
    for (const i of picks) {
      if (i !== prev) push(i);
      prev = i;
    }
  }
  return out;
}

/**
 * The permutation that sorts `x` ascending (stable), or `undefined` when it already is —
 * resumed runs and hand-written loops can log steps out of order, uPlot needs them sorted.
 */
export function sortOrder(x: ArrayLike<number>): Uint32Array | undefined {
  let sorted = true;
  for (let i = 1; i < x.length; i++) {
    if (x[i]! < x[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return undefined;
  const idx = new Uint32Array(x.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => x[a]! - x[b]! || a - b);
}

/** `x` and `y` reordered by ascending `x` (stable); the same arrays when `x` already is. */
export function sortedByX(x: Float64Array, y: Float64Array): { x: Float64Array; y: Float64Array } {
  const order = sortOrder(x);
  if (!order) return { x, y };
  const sx = new Float64Array(order.length);
  const sy = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) {
    sx[i] = x[order[i]!]!;
    sy[i] = y[order[i]!]!;
  }
  return { x: sx, y: sy };
}

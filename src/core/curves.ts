import { InvalidValueError } from "./errors.js";

/** `np.histogram(values, bins)`: per-bin counts and the n+1 edges over [min, max]. */
export function histogram(data: ArrayLike<number>, bins: number): { counts: number[]; edges: number[] } {
  if (!Number.isInteger(bins) || bins < 1 || bins > 512) {
    throw new InvalidValueError(`bins must be an integer from 1 to 512 (got ${bins}).`, bins);
  }
  if (data.length === 0) throw new InvalidValueError("a histogram needs at least one value.", data);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) throw new InvalidValueError(`histogram values must be finite (found ${v} at index ${i}).`, v);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  // A range wider than Number.MAX_VALUE is binned on halves; a width lost to rounding (huge equal
  // values) puts everything in one bin instead of nowhere.
  const overflow = !Number.isFinite(hi - lo);
  const width = overflow ? hi / bins - lo / bins : (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : overflow ? 2 * (lo / 2 + i * (width / 2)) : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const b = overflow ? Math.floor(((v / 2 - lo / 2) / (hi / 2 - lo / 2)) * bins) : Math.floor((v - lo) / width);
    counts[Number.isNaN(b) ? 0 : Math.max(0, Math.min(bins - 1, b))]!++;
  }
  return { counts, edges };
}

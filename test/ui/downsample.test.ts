import { describe, expect, it } from "vitest";
import { downsampleM4, sortOrder } from "../../src/ui/downsample.js";

describe("downsampleM4", () => {
  it("returns short series unchanged, with non-finite values as gaps", () => {
    const s = downsampleM4([0, 1, 2], [1, Number.NaN, 3], 10);
    expect(s).toEqual({ x: [0, 1, 2], y: [1, null, 3] });
  });

  it("keeps at most maxPoints, the first and last point, and every bucket's extremes", () => {
    const n = 100_000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 100));
    y[12345] = 99;
    y[67890] = -99;
    const s = downsampleM4(x, y, 2000);
    expect(s.x.length).toBeLessThanOrEqual(2000);
    expect(s.x.length).toBeGreaterThanOrEqual(1000); // ≥ first and last of each of the 500 buckets
    expect(s.x[0]).toBe(0);
    expect(s.x.at(-1)).toBe(n - 1);
    expect(s.y).toContain(99);
    expect(s.y).toContain(-99);
    expect(s.x[s.y.indexOf(99)]).toBe(12345);
    for (let i = 1; i < s.x.length; i++) expect(s.x[i]!).toBeGreaterThan(s.x[i - 1]!);
  });
});

describe("sortOrder", () => {
  it("is undefined for sorted input and a stable permutation otherwise", () => {
    expect(sortOrder([1, 2, 2, 3])).toBeUndefined();
    expect([...sortOrder([3, 1, 2, 1])!]).toEqual([1, 3, 2, 0]);
  });
});

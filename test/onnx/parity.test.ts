import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnnxParityError } from "../../src/adapters/onnx.js";
import { openOnnx, type OpenedOnnx } from "../../src/adapters/onnx/inspect.js";
import { loadOrt } from "../../src/adapters/onnx/ort.js";
import { checkParity, type ParityOptions } from "../../src/adapters/onnx/parity.js";
import { InvalidValueError } from "../../src/core/errors.js";
import { buildLinearRelu, randomInputs } from "../fixtures/onnx-builder.js";

const model = buildLinearRelu({ secondOutput: true, seed: 3 });
let opened: OpenedOnnx;
beforeAll(async () => {
  opened = await openOnnx(model.bytes, true);
});
afterAll(async () => {
  await opened.session?.release();
});

const run = (options: ParityOptions) => checkParity(loadOrt(), opened.session!, opened.signature, options);
const sigmoid = (v: ArrayLike<number>) => Array.from(v, (s) => 1 / (1 + Math.exp(-s)));
/** Pre-activation values, to compute the Z = Sigmoid(...) reference. */
function linear(x: Float32Array, n: number): Float64Array {
  const out = new Float64Array(n * model.outFeatures);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < model.outFeatures; c++) {
      let s = model.B[c]!;
      for (let k = 0; k < model.inFeatures; k++) s += x[r * model.inFeatures + k]! * model.W[k * model.outFeatures + c]!;
      out[r * model.outFeatures + c] = s;
    }
  return out;
}

describe("parity check on a real onnxruntime session", () => {
  const x = randomInputs(model, 6, 11);
  const Y = model.compute(x, 6);
  const Z = sigmoid(linear(x, 6));

  it("compares every output with reference arrays and records the largest difference", async () => {
    const result = await run({ sampleInputs: { X: { data: x, dims: [6, 4] } }, reference: { Y, Z } });
    expect(result.checked).toBe(true);
    expect(result.samples).toBe(1);
    expect(result.tolerance).toBe(1e-4);
    expect(result.maxAbsDiff).toBeGreaterThanOrEqual(0);
    expect(result.maxAbsDiff).toBeLessThan(1e-5);
  });

  it("infers the symbolic batch dim of a flat input and accepts nested arrays", async () => {
    const nested = Array.from({ length: 6 }, (_, r) => Array.from(x.subarray(r * 4, r * 4 + 4)));
    const nestedY = Array.from({ length: 6 }, (_, r) => Array.from(Y.subarray(r * 3, r * 3 + 3)));
    expect((await run({ sampleInputs: { X: x }, reference: { Y } })).checked).toBe(true);
    expect((await run({ sampleInputs: { X: nested }, reference: { Y: nestedY } })).checked).toBe(true);
  });

  it("takes a list of outputs in graph order, and a function computing them per feed", async () => {
    expect((await run({ sampleInputs: { X: x }, reference: [{ data: Y, dims: [6, 3] }, Float32Array.from(Z)] })).checked).toBe(true);
    const feeds = [{ X: x }, { X: randomInputs(model, 2, 5) }];
    const seen: number[] = [];
    const result = await run({
      sampleInputs: feeds,
      reference: (feed, i) => {
        seen.push(i);
        const input = feed.X as Float32Array;
        return { Y: model.compute(input, input.length / 4) };
      },
    });
    expect(seen).toEqual([0, 1]);
    expect(result.samples).toBe(2);
  });

  it("calls predict() on a model-like reference", async () => {
    const fake = { predict: (input: Float32Array) => [model.compute(input, input.length / 4), sigmoid(linear(input, input.length / 4))] };
    expect((await run({ sampleInputs: { X: x }, reference: fake })).checked).toBe(true);
  });

  it("runs sample inputs without comparing when no reference is given", async () => {
    expect(await run({ sampleInputs: [{ X: x }, { X: x }] })).toEqual({ checked: false, maxAbsDiff: null, tolerance: null, samples: 2 });
  });

  it("fails with OnnxParityError carrying the difference when outputs differ beyond the tolerance", async () => {
    const wrong = Float64Array.from(Y, (v, i) => (i === 4 ? v + 0.5 : v));
    const err = await run({ sampleInputs: { X: x }, reference: { Y: wrong }, tolerance: 1e-3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxParityError);
    expect(err).toMatchObject({ code: "RUNTRAIL_ONNX_PARITY", value: { output: "Y", sample: 0, index: 4, tolerance: 1e-3 } });
    expect((err as OnnxParityError & { value: { maxAbsDiff: number } }).value.maxAbsDiff).toBeCloseTo(0.5, 5);
    expect((err as Error).message).toMatch(/output "Y" differs from the reference by 0\.5/);
  });

  it("treats a NaN on one side only as a mismatch", async () => {
    const nan = Float64Array.from(Y, (v, i) => (i === 0 ? Number.NaN : v));
    await expect(run({ sampleInputs: { X: x }, reference: { Y: nan } })).rejects.toThrow(/Infinity/);
  });

  it.each<[string, ParityOptions]>([
    ["a missing input", { sampleInputs: { Q: x } }],
    ["a flat input that does not fit the shape", { sampleInputs: { X: new Float32Array(5) } }],
    ["a reference of the wrong shape", { sampleInputs: { X: x }, reference: { Y: { data: Y, dims: [3, 6] } } }],
    ["a reference naming an unknown output", { sampleInputs: { X: x }, reference: { W: Y } }],
    ["a single tensor for a two-output model", { sampleInputs: { X: x }, reference: Y }],
    ["a reference function that throws", { sampleInputs: { X: x }, reference: () => { throw new Error("boom"); } }],
  ])("rejects %s with OnnxParityError", async (_what, options) => {
    await expect(run(options)).rejects.toBeInstanceOf(OnnxParityError);
  });

  it("rejects a bad tolerance or a reference list that does not match the feeds", async () => {
    await expect(run({ sampleInputs: { X: x }, reference: { Y }, tolerance: -1 })).rejects.toBeInstanceOf(InvalidValueError);
    await expect(run({ sampleInputs: [{ X: x }, { X: x }], reference: [{ Y }] })).rejects.toBeInstanceOf(InvalidValueError);
  });
});

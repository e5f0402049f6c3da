import { describe, expect, it } from "vitest";
import { specMetrics } from "../../src/core/read/versions.js";

describe("specMetrics", () => {
  it("reads the checkpoint hook's nested metrics", () => {
    expect(specMetrics({ step: 30, metrics: { val_loss: 0.3, acc: 0.9 } })).toEqual({ val_loss: 0.3, acc: 0.9 });
  });
  it("reads a plain summary's numbers and leaves file facts out", () => {
    expect(specMetrics({ val_loss: 0.5, framework: "keras" })).toEqual({ val_loss: 0.5 });
    expect(specMetrics({ irVersion: 8, sizeBytes: 1234, opsets: [{ domain: "", version: 17 }], accuracy: 0.97 })).toEqual({ accuracy: 0.97 });
  });
});

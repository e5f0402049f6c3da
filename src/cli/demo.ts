import { RuntrailError } from "../core/errors.js";

export const DEMO_USAGE = `runtrail demo

Train a small TensorFlow.js model on generated data with the tracking callback, keep
checkpoints by policy, export to ONNX, and print where the run is and how to look at it.`;

/** `runtrail demo`: not written yet (the lead writes it once the adapters land). */
export async function runDemo(_argv: string[]): Promise<number> {
  throw new RuntrailError("RUNTRAIL_NOT_YET", "runtrail demo is not available yet in this build: it arrives with the tfjs and ONNX adapters.");
}

// model.fit with per-batch metrics + per-epoch checkpoints (keepBest retention) against the same
// fit without the callback: wasm backend, same script, alternating repeats, ratio of medians.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { TrackingCallback } from "../src/adapters/tfjs.js";
import { init } from "../src/index.js";
import { machineLine, median } from "./machine.js";

const REPEATS = 7;
const TARGET = 1.03;
const SAMPLES = 16_384;
const FEATURES = 64;
const EPOCHS = 4;
const BATCH = 128;

/** What {@link runTfjsFitBench} measured: medians in ms and their ratio (with callback / without). */
export interface TfjsFitBenchResult {
  name: string;
  baselineMs: number;
  withMs: number;
  ratio: number;
  /** The ratio must not exceed this (DESIGN §5: ≤ 3% slower). */
  target: number;
  met: boolean;
  details: string;
}

async function useWasm(): Promise<void> {
  const require = createRequire(import.meta.url);
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { setWasmPaths(prefix: string): void };
  wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  if (!(await tf.setBackend("wasm"))) throw new Error("the tfjs wasm backend did not start");
  await tf.ready();
}

function buildModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 256, inputShape: [FEATURES], activation: "relu" }),
      tf.layers.dense({ units: 256, activation: "relu" }),
      tf.layers.dense({ units: 1 }),
    ],
  });
}

/** Runs the two arms alternately (after one warm-up each) and returns the ratio of the medians. */
export async function runTfjsFitBench(): Promise<TfjsFitBenchResult> {
  await useWasm();
  const root = mkdtempSync(join(tmpdir(), "runtrail-bench-tfjs-"));
  const xs = tf.randomNormal([SAMPLES, FEATURES], 0, 1, "float32", 1);
  const w = tf.randomNormal([FEATURES, 1], 0, 1, "float32", 2);
  const ys = tf.tidy(() => xs.matMul(w).tanh());
  const model = buildModel();
  const initial = model.getWeights().map((t) => t.clone());
  const fitArgs = { epochs: EPOCHS, batchSize: BATCH, validationSplit: 0.1, shuffle: true, verbose: 0 } as const;

  // Both arms start from the same weights and a fresh optimizer; only model.fit is timed.
  const reset = (): void => {
    model.setWeights(initial);
    model.compile({ loss: "meanSquaredError", optimizer: tf.train.adam(1e-3) });
  };
  const baseline = async (): Promise<number> => {
    reset();
    const t0 = performance.now();
    await model.fit(xs, ys, fitArgs);
    return performance.now() - t0;
  };
  const tracked = async (): Promise<number> => {
    reset();
    const run = await init({ offlineRoot: root, handleExit: false });
    const cb = new TrackingCallback({ tf, run, logEvery: "batch", checkpoint: { every: "epoch", monitor: "val_loss", keepBest: 2 } });
    const t0 = performance.now();
    await model.fit(xs, ys, { ...fitArgs, callbacks: [cb] });
    const ms = performance.now() - t0;
    if (cb.errors.length) throw cb.errors[0];
    await run.end();
    return ms;
  };

  try {
    await baseline();
    await tracked();
    const base: number[] = [];
    const withCb: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      base.push(await baseline());
      withCb.push(await tracked());
    }
    const baselineMs = median(base);
    const withMs = median(withCb);
    const ratio = withMs / baselineMs;
    const batches = Math.ceil((SAMPLES * 0.9) / BATCH);
    return {
      name: "tfjs model.fit with TrackingCallback (wasm)",
      baselineMs,
      withMs,
      ratio,
      target: TARGET,
      met: ratio <= TARGET,
      details:
        `${EPOCHS} epochs × ${batches} batches of ${BATCH} (MLP ${FEATURES}-256-256-1, Adam), per-batch metrics + a checkpoint per epoch (keepBest 2 by val_loss); ` +
        `median of ${REPEATS} alternating repeats: ${baselineMs.toFixed(1)} ms without, ${withMs.toFixed(1)} ms with`,
    };
  } finally {
    tf.dispose([xs, w, ys, ...initial]);
    model.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.log(machineLine());
  const r = await runTfjsFitBench();
  console.log(`${r.name}: ${((r.ratio - 1) * 100).toFixed(2)}% slower, ratio ${r.ratio.toFixed(4)} (target ≤ ${r.target}) ${r.met ? "met" : "NOT met"} — ${r.details}`);
}

import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { init, type Run } from "../../src/index.js";

export { tf };

const require = createRequire(import.meta.url);

/**
 * Switches tfjs to a backend. For wasm, the `.wasm` binaries are taken from the package's
 * `dist/` folder (a file path; Node's wasm build would also find them by itself).
 */
export async function useBackend(name: "cpu" | "wasm"): Promise<void> {
  if (name === "wasm") {
    const wasm = require("@tensorflow/tfjs-backend-wasm") as { setWasmPaths(prefix: string): void };
    wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to start`);
  await tf.ready();
}

/** A run under `root` that writes events only on flush (tests read files right after fit). */
export async function newRun(root: string, extra: Parameters<typeof init>[0] = {}): Promise<Run> {
  return init({ offlineRoot: root, flushIntervalMs: 0, handleExit: false, ...extra });
}

/** Deterministic XOR-like data: 4 corners repeated, `n` train rows and 8 validation rows. */
export function xorData(n = 32): { xs: tf.Tensor2D; ys: tf.Tensor2D; valXs: tf.Tensor2D; valYs: tf.Tensor2D } {
  const corners = [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]] as const;
  const rows = (k: number, jitter: number) =>
    Array.from({ length: k }, (_, i) => {
      const c = corners[i % 4]!;
      const d = ((i * 7919) % 13) / 130 - 0.05 + jitter;
      return { x: [c[0] + d, c[1] - d], y: [c[2]] };
    });
  const train = rows(n, 0);
  const val = rows(8, 0.01);
  return {
    xs: tf.tensor2d(train.map((r) => r.x)),
    ys: tf.tensor2d(train.map((r) => r.y)),
    valXs: tf.tensor2d(val.map((r) => r.x)),
    valYs: tf.tensor2d(val.map((r) => r.y)),
  };
}

/** A small classifier compiled with Adam (fixed seeds, so two builds start from the same weights). */
export function xorModel(lr = 0.05): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, inputShape: [2], activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ loss: "binaryCrossentropy", optimizer: tf.train.adam(lr), metrics: ["acc"] });
  return model;
}

/** The model's predictions on `xs`, as a plain array (exact float32 values). */
export function predict(model: tf.LayersModel, xs: tf.Tensor): number[] {
  return tf.tidy(() => Array.from((model.predict(xs) as tf.Tensor).dataSync()));
}

/**
 * A callback that records predictions at every epoch end. It is a real `tf.CustomCallback`:
 * after a first callback that is one, tfjs takes the others as they are.
 */
export function predictionsByEpoch(model: tf.LayersModel, xs: tf.Tensor): { byEpoch: Map<number, number[]>; callback: tf.CustomCallback } {
  const byEpoch = new Map<number, number[]>();
  return { byEpoch, callback: new tf.CustomCallback({ onEpochEnd: (epoch) => void byEpoch.set(epoch, predict(model, xs)) }) };
}

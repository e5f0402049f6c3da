// model.fit with per-batch metrics + per-epoch checkpoints (keepBest retention) against the same
// fit without the callback: wasm backend, same script, alternating repeats. The ratio is the
// median of the per-pair ratios (each pair run back to back, in alternating order), which keeps
// a slow drift of the machine's load out of the figure; the ratio of the medians is printed too.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { TrackingCallback } from "../src/adapters/tfjs.js";
import { init } from "../src/index.js";
import { machineLine, median, type BenchResult } from "./machine.js";

const REPEATS = 9;
const TARGET = 1.03;
const SAMPLES = 8192;
const FEATURES = 32;
const HIDDEN = 128;
const EPOCHS = 4;
const BATCH = 64;

/** What {@link runTfjsFitBench} measured: medians in ms and their ratio (with callback / without). */
export type TfjsFitBenchResult = {
  name: string;
  baselineMs: number;
  withMs: number;
  ratio: number;
  /** Median of the per-pair ratios of process CPU time (user + system), less sensitive to other load. */
  cpuRatio: number;
  /** Ratio of the medians of wall time (`withMs / baselineMs`). */
  ratioOfMedians: number;
  /**
   * Within the tracked fits: fit time / (fit time − time spent inside the callback's hooks),
   * median. Measured in the same run, so the machine's other load cancels out.
   */
  inRunRatio: number;
  /** The ratio must not exceed this (DESIGN §5: ≤ 3% slower). */
  target: number;
  met: boolean;
  details: string;
};

interface Sample {
  wall: number;
  cpu: number;
  /** Time inside the callback's hooks (tracked arm only). */
  hooks?: number;
}

const HOOKS = ["onTrainBegin", "onEpochBegin", "onBatchEnd", "onEpochEnd", "onTrainEnd"] as const;

/** Wraps the instance's hooks to add up the time spent inside them. */
function timeHooks(cb: TrackingCallback): { ms: number } {
  const total = { ms: 0 };
  const hooks = cb as unknown as Record<(typeof HOOKS)[number], (...a: unknown[]) => Promise<void>>;
  for (const name of HOOKS) {
    const inner = hooks[name].bind(cb);
    hooks[name] = async (...a: unknown[]) => {
      const t0 = performance.now();
      try {
        await inner(...a);
      } finally {
        total.ms += performance.now() - t0;
      }
    };
  }
  return total;
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
      tf.layers.dense({ units: HIDDEN, inputShape: [FEATURES], activation: "relu" }),
      tf.layers.dense({ units: HIDDEN, activation: "relu" }),
      tf.layers.dense({ units: 1 }),
    ],
  });
}

/** Runs the two arms alternately (after one warm-up each); `ratio` is the median of the per-pair wall-time ratios. */
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
  const timed = async (fit: () => Promise<unknown>): Promise<Sample> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fit();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return { wall, cpu: (c.user + c.system) / 1000 };
  };
  const baseline = async (): Promise<Sample> => {
    reset();
    return timed(() => model.fit(xs, ys, fitArgs));
  };
  const tracked = async (): Promise<Sample> => {
    reset();
    const run = await init({ offlineRoot: root, handleExit: false });
    const cb = new TrackingCallback({ tf, run, logEvery: "batch", checkpoint: { every: "epoch", monitor: "val_loss", keepBest: 2 } });
    const hooks = timeHooks(cb);
    const sample = await timed(() => model.fit(xs, ys, { ...fitArgs, callbacks: [cb] }));
    if (cb.errors.length) throw cb.errors[0];
    await run.end();
    return { ...sample, hooks: hooks.ms };
  };

  try {
    await baseline();
    await tracked();
    const base: Sample[] = [];
    const withCb: Sample[] = [];
    for (let i = 0; i < REPEATS; i++) {
      if (i % 2 === 0) {
        base.push(await baseline());
        withCb.push(await tracked());
      } else {
        withCb.push(await tracked());
        base.push(await baseline());
      }
    }
    const baselineMs = median(base.map((s) => s.wall));
    const withMs = median(withCb.map((s) => s.wall));
    const ratio = median(withCb.map((s, i) => s.wall / base[i]!.wall));
    const cpuRatio = median(withCb.map((s, i) => s.cpu / base[i]!.cpu));
    const inRunRatio = median(withCb.map((s) => s.wall / (s.wall - s.hooks!)));
    const batches = Math.ceil((SAMPLES * 0.9) / BATCH);
    return {
      name: "tfjs model.fit with TrackingCallback (wasm)",
      baselineMs,
      withMs,
      ratio,
      cpuRatio,
      ratioOfMedians: withMs / baselineMs,
      inRunRatio,
      target: TARGET,
      met: ratio <= TARGET,
      details:
        `${EPOCHS} epochs × ${batches} batches of ${BATCH} (MLP ${FEATURES}-${HIDDEN}-${HIDDEN}-1, Adam), per-batch metrics + a checkpoint per epoch (keepBest 2 by val_loss); ` +
        `${REPEATS} alternating pairs: median ${baselineMs.toFixed(1)} ms without, ${withMs.toFixed(1)} ms with (ratio of medians ${(withMs / baselineMs).toFixed(4)}); median pair ratio in CPU time ${cpuRatio.toFixed(4)}; ` +
        `time inside the callback's hooks: ratio ${inRunRatio.toFixed(4)}; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
    };
  } finally {
    tf.dispose([xs, w, ys, ...initial]);
    model.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The row `npm run bench` (bench/run.ts) shows for {@link runTfjsFitBench}. */
export function tfjsFitRow(r: TfjsFitBenchResult): BenchResult {
  const pct = (x: number): string => `${x >= 1 ? "+" : ""}${((x - 1) * 100).toFixed(1)}%`;
  return {
    name: "model.fit with TrackingCallback vs without (wasm)",
    figure: `${pct(r.ratio)} (ratio ${r.ratio.toFixed(3)})`,
    ratio: r.ratio,
    target: `≤ ${pct(r.target)}`,
    met: r.met,
    details: r.details,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.log(machineLine());
  const r = await runTfjsFitBench();
  console.log(`${r.name}: ${((r.ratio - 1) * 100).toFixed(2)}% slower, ratio ${r.ratio.toFixed(4)} (target ≤ ${r.target}) ${r.met ? "met" : "NOT met"} — ${r.details}`);
}

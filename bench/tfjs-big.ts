// A model with ≥ 100 MB of weights, checkpointed every epoch in the background by the tfjs
// callback, against the same fit without checkpoints: per-epoch time and memory, in one script.
//
//   npx tsx bench/tfjs-big.ts            (or `npx tsx bench/run.ts tfjs-big`)
//
// Per-epoch time: a timing callback placed after the tracker measures each epoch from its begin
// to the end of the tracker's epoch-end hook (so the weight snapshot is inside it). The first
// epoch of each fit is left out (warm-up, and no write in flight yet). The two arms run in
// alternating pairs; the ratio is the median of the per-pair ratios of the median epoch time.
// Memory: the process RSS after every checkpoint of the tracked fits; it must not grow with the
// number of checkpoints (growth from the 2nd to the last checkpoint below one checkpoint's size).
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { TrackingCallback } from "../src/adapters/tfjs.js";
import { init } from "../src/index.js";
import { machineLine, median, type BenchResult } from "./machine.js";

/** Input width = hidden width: one 5120×5120 Dense layer holds 26.2 M float32 weights (104.9 MB). */
const UNITS = 5120;
const BATCH = 32;
const BATCHES_PER_EPOCH = 4;
const EPOCHS = 4;
const PAIRS = 2;
const TARGET = 1.05;

/** What {@link runTfjsBigBench} measured. */
export interface TfjsBigBenchResult {
  weightBytes: number;
  /** Median over pairs of (median epoch ms with checkpoints / median epoch ms without). */
  ratio: number;
  /** The same ratio in process CPU time per fit (user + system). */
  cpuRatio: number;
  /**
   * Within the tracked fits: median over epochs (the first left out) of epoch time / (epoch time −
   * time inside the tracker's hooks). Measured in the same fits, so other load cancels out.
   */
  inRunRatio: number;
  baselineEpochMs: number;
  withEpochMs: number;
  /** RSS after each checkpoint of the tracked fits, in MB, in order. */
  rssMb: number[];
  /** RSS growth from the 2nd to the last checkpoint, in MB. */
  growthMb: number;
  checkpoints: number;
  met: boolean;
  memoryMet: boolean;
  load: [number, number];
  details: string;
}

async function useWasm(): Promise<void> {
  const require = createRequire(import.meta.url);
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { setWasmPaths(prefix: string): void };
  wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  if (!(await tf.setBackend("wasm"))) throw new Error("the tfjs wasm backend did not start");
  await tf.ready();
}

/**
 * Epoch durations (ms) measured from each epoch's begin to the end of the callbacks before it.
 * It never yields to the event loop itself ("never"), so the checkpoint's I/O progresses only
 * where the tracker lets it.
 */
function epochTimer(): { ms: number[]; callback: tf.CustomCallback } {
  const ms: number[] = [];
  let t0 = 0;
  return {
    ms,
    callback: new tf.CustomCallback(
      {
        onEpochBegin: () => void (t0 = performance.now()),
        onEpochEnd: () => void ms.push(performance.now() - t0),
      },
      "never",
    ),
  };
}

/** Time spent inside the tracker's batch and epoch-end hooks, per epoch (ms). */
function timeTrackerHooks(cb: TrackingCallback): number[] {
  const perEpoch: number[] = [0];
  const hooks = cb as unknown as Record<"onBatchEnd" | "onEpochEnd", (...a: unknown[]) => Promise<void>>;
  for (const name of ["onBatchEnd", "onEpochEnd"] as const) {
    const inner = hooks[name].bind(cb);
    hooks[name] = async (...a: unknown[]) => {
      const t0 = performance.now();
      try {
        await inner(...a);
      } finally {
        perEpoch[perEpoch.length - 1]! += performance.now() - t0;
        if (name === "onEpochEnd") perEpoch.push(0);
      }
    };
  }
  return perEpoch;
}

export async function runTfjsBigBench(): Promise<TfjsBigBenchResult> {
  const load0 = loadavg()[0]!;
  await useWasm();
  const root = mkdtempSync(join(tmpdir(), "runtrail-bench-tfjs-big-"));
  const samples = BATCH * BATCHES_PER_EPOCH;
  const xs = tf.randomNormal([samples, UNITS], 0, 1, "float32", 1);
  const ys = tf.randomNormal([samples, 1], 0, 1, "float32", 2);
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: UNITS, inputShape: [UNITS], activation: "relu" }), tf.layers.dense({ units: 1 })],
  });
  const weightBytes = model.countParams() * 4;
  const initial = model.getWeights().map((t) => t.clone());
  const fitArgs = { epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0 } as const;
  const reset = (): void => {
    model.setWeights(initial);
    model.compile({ loss: "meanSquaredError", optimizer: tf.train.sgd(1e-5) });
  };
  const rssMb: number[] = [];

  const inRun: number[] = [];
  const fit = async (tracked: boolean): Promise<{ epochMs: number; cpuMs: number }> => {
    reset();
    const timer = epochTimer();
    const callbacks: tf.CustomCallback[] = [];
    let run: Awaited<ReturnType<typeof init>> | undefined;
    let cb: TrackingCallback | undefined;
    let hookMs: number[] | undefined;
    if (tracked) {
      run = await init({ offlineRoot: root, handleExit: false });
      cb = new TrackingCallback({ tf, run, checkpoint: { every: "epoch", keepLast: 2 } });
      hookMs = timeTrackerHooks(cb);
      callbacks.push(cb, new tf.CustomCallback({ onEpochEnd: () => void rssMb.push(process.memoryUsage().rss / 1e6) }, "never"));
    }
    callbacks.push(timer.callback);
    const c0 = process.cpuUsage();
    await model.fit(xs, ys, { ...fitArgs, callbacks });
    const c = process.cpuUsage(c0);
    if (cb?.errors.length) throw cb.errors[0];
    await run?.end();
    if (hookMs) timer.ms.forEach((ms, e) => e > 0 && inRun.push(ms / (ms - hookMs[e]!)));
    return { epochMs: median(timer.ms.slice(1)), cpuMs: (c.user + c.system) / 1000 };
  };

  try {
    const base: Array<{ epochMs: number; cpuMs: number }> = [];
    const withCk: Array<{ epochMs: number; cpuMs: number }> = [];
    for (let i = 0; i < PAIRS; i++) {
      const order = i % 2 === 0 ? [false, true] : [true, false];
      for (const tracked of order) {
        const r = await fit(tracked);
        (tracked ? withCk : base).push(r);
        process.stderr.write(`  tfjs-big: ${tracked ? "with checkpoints" : "without"}: median epoch ${r.epochMs.toFixed(0)} ms (load ${loadavg()[0]!.toFixed(1)})\n`);
      }
    }
    const ratio = median(withCk.map((s, i) => s.epochMs / base[i]!.epochMs));
    const cpuRatio = median(withCk.map((s, i) => s.cpuMs / base[i]!.cpuMs));
    const baselineEpochMs = median(base.map((s) => s.epochMs));
    const withEpochMs = median(withCk.map((s) => s.epochMs));
    const growthMb = rssMb[rssMb.length - 1]! - rssMb[1]!;
    const inRunRatio = median(inRun);
    const memoryMet = growthMb < weightBytes / 1e6;
    const load: [number, number] = [load0, loadavg()[0]!];
    return {
      weightBytes,
      ratio,
      cpuRatio,
      inRunRatio,
      baselineEpochMs,
      withEpochMs,
      rssMb,
      growthMb,
      checkpoints: rssMb.length,
      met: ratio <= TARGET,
      memoryMet,
      load,
      details:
        `wasm backend, Dense ${UNITS}→${UNITS}→1 (${(weightBytes / 1e6).toFixed(1)} MB of weights, SGD), ${EPOCHS} epochs × ${BATCHES_PER_EPOCH} batches of ${BATCH}, ` +
        `a checkpoint every epoch (keepLast 2) written in the background; ${PAIRS} alternating pairs; median epoch ${baselineEpochMs.toFixed(0)} ms without, ${withEpochMs.toFixed(0)} ms with; ` +
        `CPU-time ratio per fit ${cpuRatio.toFixed(3)}; time inside the tracker's hooks: ratio ${inRunRatio.toFixed(4)} (median over epochs); RSS after each of ${rssMb.length} checkpoints: ${rssMb.map((m) => m.toFixed(0)).join(", ")} MB ` +
        `(growth from the 2nd to the last ${growthMb.toFixed(0)} MB); load average ${load[0].toFixed(1)} → ${load[1].toFixed(1)} on ${cpus().length} cores`,
    };
  } finally {
    tf.dispose([xs, ys, ...initial]);
    model.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The rows `npm run bench` (bench/run.ts) shows for {@link runTfjsBigBench}. */
export function tfjsBigRows(r: TfjsBigBenchResult): BenchResult[] {
  const pct = (x: number): string => `${x >= 1 ? "+" : ""}${((x - 1) * 100).toFixed(1)}%`;
  return [
    {
      name: `per-epoch fit time, ${(r.weightBytes / 1e6).toFixed(0)} MB model, checkpoint every epoch vs none (wasm)`,
      figure: `${pct(r.ratio)} (ratio ${r.ratio.toFixed(3)}; time inside the hooks ${pct(r.inRunRatio)})`,
      ratio: r.ratio,
      target: `≤ ${pct(TARGET)}`,
      met: r.met,
      details: r.details,
    },
    {
      name: `memory over ${r.checkpoints} checkpoints of the ${(r.weightBytes / 1e6).toFixed(0)} MB model`,
      figure: `RSS ${r.growthMb >= 0 ? "+" : ""}${r.growthMb.toFixed(0)} MB from the 2nd to the last checkpoint`,
      ratio: r.growthMb / (r.weightBytes / 1e6),
      target: `< one checkpoint (${(r.weightBytes / 1e6).toFixed(0)} MB)`,
      met: r.memoryMet,
      details: `RSS after each checkpoint (MB): ${r.rssMb.map((m) => m.toFixed(0)).join(", ")}`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.log(machineLine());
  const r = await runTfjsBigBench();
  for (const row of tfjsBigRows(r)) console.log(`${row.name}: ${row.figure} (target ${row.target}) ${row.met ? "met" : "NOT met"}`);
  console.log(r.details);
}

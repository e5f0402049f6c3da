// A hand-written training loop checkpointed with runtrail's CheckpointHook: logistic regression
// on synthetic data, trained by full-batch gradient descent with plain typed arrays.
//
//   node --import tsx examples/checkpoint-loop.ts                 # a new run under ./plx
//   node --import tsx examples/checkpoint-loop.ts --resume <uuid> # continue it from its latest checkpoint
//   options: --steps N (default 300), --root DIR (default $POLYAXON_OFFLINE_ROOT or ./plx)
//
// In your project, import from "runtrail" and "runtrail/checkpoint".
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { init } from "../src/index.js";
import { CheckpointHook } from "../src/adapters/checkpoint.js";

const { values: args } = parseArgs({
  options: { resume: { type: "string" }, steps: { type: "string", default: "300" }, root: { type: "string" } },
});
const TOTAL_STEPS = Number(args.steps);
const DIM = 8;

// ---------------------------------------------------------------- data and model

/** Deterministic PRNG, so every run (and every resume) sees the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeData(n: number) {
  const rand = rng(42);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const truth = Array.from({ length: DIM }, gauss);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: DIM }, gauss);
    x.push(row);
    y.push(row.reduce((s, v, j) => s + v * truth[j]!, 0) + 0.7 * gauss() > 0 ? 1 : 0);
  }
  return { train: { x: x.slice(0, 800), y: y.slice(0, 800) }, val: { x: x.slice(800), y: y.slice(800) } };
}

type Split = { x: number[][]; y: number[] };
const data = makeData(1000);
/** The model: DIM weights, then the bias. */
const weights = new Float32Array(DIM + 1);

function predict(row: number[]): number {
  let z = weights[DIM]!;
  for (let j = 0; j < DIM; j++) z += weights[j]! * row[j]!;
  return 1 / (1 + Math.exp(-z));
}

function trainStep(split: Split, lr: number): void {
  const grad = new Float64Array(DIM + 1);
  split.x.forEach((row, i) => {
    const err = predict(row) - split.y[i]!;
    for (let j = 0; j < DIM; j++) grad[j]! += err * row[j]!;
    grad[DIM]! += err;
  });
  for (let j = 0; j <= DIM; j++) weights[j]! -= (lr * grad[j]!) / split.x.length;
}

function evaluate(split: Split): { loss: number; acc: number } {
  let loss = 0;
  let hits = 0;
  split.x.forEach((row, i) => {
    const p = Math.min(Math.max(predict(row), 1e-7), 1 - 1e-7);
    loss -= split.y[i] ? Math.log(p) : Math.log(1 - p);
    if ((p > 0.5 ? 1 : 0) === split.y[i]) hits++;
  });
  return { loss: loss / split.x.length, acc: hits / split.x.length };
}

// ---------------------------------------------------------------- checkpoint files

/** `weights.json` for people and tools, `weights.bin` (little-endian float32) for fast loading. */
async function saveWeights(dir: string, step: number, w: Float32Array): Promise<void> {
  await writeFile(join(dir, "weights.bin"), new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  await writeFile(join(dir, "weights.json"), JSON.stringify({ step, dim: DIM, weights: Array.from(w.subarray(0, DIM)), bias: w[DIM] }, null, 2));
}

async function loadWeights(dir: string): Promise<void> {
  const bin = await readFile(join(dir, "weights.bin"));
  weights.set(new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)));
}

// ---------------------------------------------------------------- the loop

const run = await init({
  project: "examples",
  name: "checkpoint-loop",
  ...(args.root !== undefined && { offlineRoot: args.root }),
  ...(args.resume !== undefined && { runUuid: args.resume }),
});

const hook = new CheckpointHook({
  run,
  name: "logreg",
  framework: "plain-ts",
  every: { steps: 25, seconds: 60 }, // every 25 steps, and at least once a minute
  monitor: "val_loss", // mode "auto": lower is better
  keepBest: 2,
  keepLast: 1,
  background: true, // the loop does not wait for the disk
  snapshot: () => weights.slice(), // copied inside step(): the loop goes on changing `weights`
  save: (dir, step, snapshot) => saveWeights(dir, step, snapshot),
});

const restored = await hook.restore((dir) => loadWeights(dir));
const first = (restored?.step ?? 0) + 1;
if (restored) console.log(`resumed run ${run.uuid} from step ${restored.step} (val_loss ${restored.metrics.val_loss?.toFixed(4)})`);

for (let step = first; step <= TOTAL_STEPS; step++) {
  trainStep(data.train, 0.5);
  const train = evaluate(data.train);
  const val = evaluate(data.val);
  await hook.step(step, { loss: train.loss, acc: train.acc, val_loss: val.loss, val_acc: val.acc });
}
await hook.close(); // waits for the last background save
await run.end();

const best = hook.best();
console.log(`run ${run.uuid} at ${run.artifactsPath}`);
console.log(`checkpoints on disk: ${hook.list().map((c) => c.step).join(", ")}`);
console.log(`best: step ${best?.step}, val_loss ${best?.metrics.val_loss?.toFixed(4)} (${best?.path})`);

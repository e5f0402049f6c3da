import { createRequire } from "node:module";
import { dirname, relative } from "node:path";
import { parseArgs } from "node:util";
import { exportTfjsToOnnx, withOnnxExport, type OnnxExportRecord } from "../adapters/onnx.js";
import { loadCheckpoint, TrackingCallback, type LayersModel, type TfModule } from "../adapters/tfjs.js";
import { InvalidValueError } from "../core/errors.js";
import { requirePeer } from "../core/peer.js";
import { init } from "../core/tracking.js";

export const DEMO_USAGE = `runtrail demo [--root DIR] [--epochs N] [--backend wasm|cpu]

Train a small TensorFlow.js model on generated data with the tracking callback (per-batch
metrics, a checkpoint every epoch, the 3 best by val_loss and the latest kept), evaluate it
(ROC and PR curves, confusion matrix), export the best checkpoint to ONNX through the export
hook (validated against tfjs in onnxruntime-node), and print where the run is and how to look at it.

  --root DIR        offline root (default: $POLYAXON_OFFLINE_ROOT or ./plx)
  --epochs N        epochs to train (default 15)
  --backend NAME    wasm (default; falls back to cpu when unavailable) or cpu`;

const localRequire = createRequire(import.meta.url);

/** Deterministic points in [-1.5, 1.5)² labelled 1 inside the unit circle (mulberry32). */
function circleData(n: number, seed: number): { xs: number[][]; ys: number[][] } {
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const xs: number[][] = [];
  const ys: number[][] = [];
  for (let i = 0; i < n; i++) {
    const p = [rand() * 3 - 1.5, rand() * 3 - 1.5];
    xs.push(p);
    ys.push([p[0]! * p[0]! + p[1]! * p[1]! < 1 ? 1 : 0]);
  }
  return { xs, ys };
}

async function chooseBackend(tf: TfModule & { setBackend(n: string): Promise<boolean>; getBackend(): string }, wanted: string): Promise<string> {
  if (wanted === "wasm") {
    try {
      const wasm = localRequire("@tensorflow/tfjs-backend-wasm") as { setWasmPaths(prefix: string): void };
      wasm.setWasmPaths(`${dirname(localRequire.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
      if (await tf.setBackend("wasm")) return "wasm";
    } catch {
      // No wasm backend installed: the cpu backend trains the same model, only slower.
    }
  }
  await tf.setBackend("cpu");
  return tf.getBackend();
}

/** `runtrail demo`: the README's main job. Returns the exit code. */
export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { root: { type: "string" }, epochs: { type: "string", default: "15" }, backend: { type: "string", default: "wasm" } },
  });
  const epochs = Number(values.epochs);
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 1000) throw new InvalidValueError(`--epochs must be an integer from 1 to 1000 (got ${values.epochs}).`, values.epochs);
  if (values.backend !== "wasm" && values.backend !== "cpu") throw new InvalidValueError(`--backend must be wasm or cpu (got ${values.backend}).`, values.backend);

  const tf = requirePeer<any>(["@tensorflow/tfjs-node", "@tensorflow/tfjs"], "runtrail demo");
  const backend = await chooseBackend(tf, values.backend);
  const log = (line: string): void => void process.stdout.write(`${line}\n`);

  const run = await init({ ...(values.root && { offlineRoot: values.root }), project: "runtrail-demo", name: "circle-classifier" });
  log(`runtrail demo: run ${run.uuid}, tfjs ${tf.version.tfjs} on the ${backend} backend`);

  const train = circleData(1024, 1);
  const test = circleData(256, 2);
  const xs = tf.tensor2d(train.xs);
  const ys = tf.tensor2d(train.ys);
  const model: LayersModel = tf.sequential({
    name: "circle",
    layers: [
      tf.layers.dense({ units: 16, activation: "relu", inputShape: [2] }),
      tf.layers.dense({ units: 16, activation: "relu" }),
      tf.layers.dense({ units: 1, activation: "sigmoid" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.02), loss: "binaryCrossentropy", metrics: ["acc"] });

  const tracker = new TrackingCallback({
    tf,
    model,
    logEvery: "batch",
    checkpoint: { every: "epoch", monitor: "val_loss", keepBest: 3, keepLast: 1 },
  });
  const progress = new tf.CustomCallback({
    onEpochEnd: async (epoch: number, logs: Record<string, number>) => {
      const f = (k: string): string => (logs[k] === undefined ? "-" : logs[k]!.toFixed(4));
      log(`  epoch ${String(epoch + 1).padStart(2)}/${epochs}  loss ${f("loss")}  acc ${f("acc")}  val_loss ${f("val_loss")}  val_acc ${f("val_acc")}`);
    },
  });
  await model.fit(xs, ys, { epochs, batchSize: 32, validationSplit: 0.2, shuffle: true, verbose: 0, callbacks: [tracker, progress] });

  // Evaluate the best checkpoint on held-out data.
  const best = await loadCheckpoint(run, { name: "model", step: "best", tf });
  const testX = tf.tensor2d(test.xs);
  const scores = Array.from((best.predict(testX) as { dataSync(): Float32Array }).dataSync());
  const labels = test.ys.map((y) => y[0]!);
  const bestInfo = (run._lineage.getStream("model", "model")?.summary ?? {}) as {
    best?: { step: number; path: string; value: number };
    latest?: { step: number };
    versions?: number[];
  };
  const evalStep = bestInfo.best?.step ?? epochs - 1;
  const [auc = Number.NaN] = run.logSklearnRocAucCurve("test_roc", scores, labels, { step: evalStep });
  run.logSklearnPrCurve("test_pr", scores, labels, { step: evalStep });
  const cm = [
    [0, 0],
    [0, 0],
  ];
  labels.forEach((y, i) => cm[y]![scores[i]! >= 0.5 ? 1 : 0]!++);
  run.logConfusionMatrix("test_confusion", ["outside", "inside"], ["outside", "inside"], cm, { step: evalStep });
  const testAcc = (cm[0]![0]! + cm[1]![1]!) / labels.length;
  run.logOutputs({ test_auc: auc, test_acc: testAcc });

  // Export the best checkpoint to ONNX, validated against tfjs's own predictions.
  let exported: OnnxExportRecord | undefined;
  const exportOnnx = withOnnxExport(() => exportTfjsToOnnx(best), {
    run,
    name: "circle_onnx",
    step: evalStep,
    sampleInputs: { input: testX },
    reference: best,
    tolerance: 1e-5,
    summary: { sourceCheckpoint: { name: "model", step: evalStep, path: bestInfo.best?.path, framework: "tfjs" } },
    onLogged: (r) => (exported = r),
  });
  await exportOnnx();
  tf.dispose([xs, ys, testX]);
  await run.end();

  const rel = relative(process.cwd(), run.artifactsPath);
  const where = rel && !rel.startsWith("..") ? rel : run.artifactsPath;
  const root = dirname(dirname(where));
  const viaNpm = !import.meta.url.includes("/dist/");
  const cmd = viaNpm ? "npm run runtrail --" : "npx runtrail";
  log("");
  log(`  run          ${where}  (${run.status})`);
  log(`  best         val_loss ${bestInfo.best?.value.toFixed(4)} at step ${evalStep} (epoch ${evalStep + 1}); test accuracy ${(testAcc * 100).toFixed(1)}%, ROC AUC ${auc.toFixed(4)}`);
  log(`  checkpoints  ${(bestInfo.versions ?? []).map((s) => `model_${s}`).join(", ")} kept in ${where}/assets/model/ (3 best by val_loss + latest)`);
  if (exported) {
    log(`  onnx         ${exported.asset.relPath}  (max |onnx - tfjs| = ${exported.parity.maxAbsDiff?.toExponential(2)})`);
  }
  log("");
  log(`  look at it:  ${cmd} show ${where}`);
  log(`               ${cmd} ui ${root}`);
  return 0;
}

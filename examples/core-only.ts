// The tracking core on its own: metrics, curves, a versioned artifact, a model reference.
// Run: npx tsx examples/core-only.ts   (writes under ./plx/runs/<uuid>)
import { writeFileSync } from "node:fs";
import { init, loadRun, readEvents } from "../src/index.js";

const run = await init({ project: "examples", name: "core-only" });

// A toy "training": the loss decays, accuracy rises.
for (let step = 0; step < 50; step++) {
  run.logMetrics({ loss: Math.exp(-step / 10), acc: 1 - Math.exp(-step / 8) }, { step });
}

const yTrue = [0, 0, 1, 1, 0, 1, 1, 0, 1, 0];
const yScore = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.7, 0.3, 0.6, 0.5];
// Computed as scikit-learn does, arguments in Polyaxon's order (predictions, then targets).
const [auc = Number.NaN] = run.logSklearnRocAucCurve("roc", yScore, yTrue, { step: 49 });
run.logSklearnPrCurve("pr", yScore, yTrue, { step: 49 });
// A curve computed elsewhere is logged as it is.
run.logRocAucCurve("roc_reference", [0, 0.2, 1], [0, 0.8, 1], 0.8, { step: 49 });
run.logConfusionMatrix("confusion", ["neg", "pos"], ["neg", "pos"], [[4, 1], [1, 4]], { step: 49 });
run.logText("notes", `AUC ${auc.toFixed(3)}`);

// A versioned artifact: assets/file/predictions_49.csv plus an event row.
const predictions = run.getArtifactsPath("tmp-predictions.csv", { ensurePath: true });
writeFileSync(predictions, yScore.map((s, i) => `${i},${s}`).join("\n"));
await run.logArtifact({ path: predictions, name: "predictions", step: 49 });

// A reference to data that stays where it is.
await run.logArtifactRef({ path: "s3://datasets/toy/v1.csv", kind: "data", isInput: true });

await run.end();

const loaded = await loadRun(run.artifactsPath);
const loss = await readEvents(run.artifactsPath, "metric", "loss");
console.log(`run ${loaded.uuid} ${loaded.status} at ${run.artifactsPath}`);
console.log(`${loss.length} loss rows, last ${loss.at(-1)?.value.toFixed(4)}; ${loaded.lineage.length} lineage records`);

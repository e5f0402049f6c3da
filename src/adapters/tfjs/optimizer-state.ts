import type { IOHandler, LayersModel, ModelArtifacts, TfModule, WeightsManifestEntry } from "./types.js";

/** An optimizer's state encoded as tfjs encodes it with `includeOptimizer` (weight group `optimizer`). */
export interface OptimizerState {
  trainingConfig: unknown;
  specs: WeightsManifestEntry[];
  data: ArrayBuffer;
}

/** The optimizer cannot export its state (tfjs's Adamax, for one, does not implement `getWeights`). */
export class OptimizerStateUnsupported extends Error {}

type NamedTensor = { name: string; tensor: { dispose(): void } };

/**
 * Encodes the optimizer's state (iteration count and slot variables) and the training config,
 * exactly what `model.save(h, { includeOptimizer: true })` adds in tfjs 4.x. Done here rather than
 * through `includeOptimizer` because tfjs leaks the iteration-count scalar that
 * `Optimizer.getWeights()` creates on every call — one tensor per checkpoint.
 *
 * @returns undefined when the model has no optimizer (not compiled).
 * @throws OptimizerStateUnsupported when the optimizer cannot export its state.
 */
export async function encodeOptimizerState(tf: TfModule, model: LayersModel): Promise<OptimizerState | undefined> {
  const optimizer = model.optimizer;
  if (optimizer == null) return undefined;
  let weights: NamedTensor[];
  try {
    weights = (await optimizer.getWeights()) as NamedTensor[];
  } catch (err) {
    throw new OptimizerStateUnsupported(`${optimizer.getClassName()}.getWeights() failed: ${(err as Error).message}`, { cause: err });
  }
  try {
    const { data, specs } = await tf.io.encodeWeights(weights as Parameters<TfModule["io"]["encodeWeights"]>[0], "optimizer");
    const trainingConfig = (model as unknown as { getTrainingConfig(): unknown }).getTrainingConfig();
    return { trainingConfig, specs, data };
  } finally {
    // Only the iteration count is a fresh tensor; the others are the optimizer's own variables.
    for (const w of weights) if (w.name === "iter") w.tensor.dispose();
  }
}

/** `artifacts` with the optimizer state appended, as `model.save(…, { includeOptimizer: true })` does (weights as shards). */
function withOptimizerState(a: ModelArtifacts, state: OptimizerState): ModelArtifacts {
  const shards = a.weightData === undefined ? [] : Array.isArray(a.weightData) ? a.weightData : [a.weightData];
  return {
    ...a,
    trainingConfig: state.trainingConfig as ModelArtifacts["trainingConfig"],
    weightSpecs: [...(a.weightSpecs ?? []), ...state.specs],
    weightData: [...shards, state.data],
  };
}

/** Saves `model` through `handler`, with the optimizer `state` appended when given. */
export async function saveLayersModel(model: LayersModel, handler: Required<Pick<IOHandler, "save">>, state?: OptimizerState): Promise<void> {
  if (state === undefined) {
    await model.save(handler);
    return;
  }
  const withState: IOHandler = { save: (a) => handler.save(withOptimizerState(a, state)) };
  await model.save(withState);
}

/** What `model.save` writes besides the weights, as tfjs produced it for this model (see {@link snapshotModel}). */
const HEADERS = new WeakMap<object, Pick<ModelArtifacts, "format" | "generatedBy" | "convertedBy">>();

/** Weight dtypes read back as plain numeric buffers (tfjs encodes others, e.g. strings, specially). */
const NUMERIC = new Set(["float32", "int32", "bool"]);

/**
 * The model's artifacts as `model.save` produces them, held in memory: a snapshot (the weights
 * are copied out of the backend) that can be written later while training goes on.
 *
 * The first snapshot of a model goes through `model.save`. Later ones build the same artifacts
 * from the model's public API (`toJSON`, `weights`, `getWeights`) with the header tfjs wrote the
 * first time, and keep each weight as its own buffer: `model.save` reads every weight out of the
 * backend and then concatenates them into one more buffer, a second copy of the whole model
 * (100 MB per checkpoint of a 100 MB model) that the file writer does not need.
 */
export async function snapshotModel(model: LayersModel, state?: OptimizerState): Promise<ModelArtifacts> {
  const header = HEADERS.get(model);
  const weights = model.weights;
  if (header === undefined || !weights.every((w) => NUMERIC.has(w.dtype))) return saveToMemory(model, state);
  const values = model.getWeights();
  const data = await Promise.all(values.map(async (t) => standalone(await t.data())));
  const artifacts: ModelArtifacts = {
    modelTopology: model.toJSON(null, false) as ModelArtifacts["modelTopology"],
    ...header,
    weightSpecs: weights.map((w, i) => ({ name: w.originalName, shape: values[i]!.shape, dtype: w.dtype as WeightsManifestEntry["dtype"] })),
    weightData: data,
  };
  const metadata = model.getUserDefinedMetadata();
  if (metadata != null) artifacts.userDefinedMetadata = metadata;
  return state === undefined ? artifacts : withOptimizerState(artifacts, state);
}

/** `model.save` into memory (the artifacts it hands to its IOHandler); remembers the header it wrote. */
async function saveToMemory(model: LayersModel, state?: OptimizerState): Promise<ModelArtifacts> {
  let artifacts: ModelArtifacts | undefined;
  await saveLayersModel(
    model,
    {
      save: async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      },
    },
    state,
  );
  HEADERS.set(model, { format: artifacts!.format, generatedBy: artifacts!.generatedBy, convertedBy: artifacts!.convertedBy });
  return artifacts!;
}

/** The bytes of a typed array as an ArrayBuffer of its own (no copy when it already is one). */
function standalone(a: ArrayLike<unknown> & ArrayBufferView): ArrayBuffer {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? (a.buffer as ArrayBuffer) : (a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength) as ArrayBuffer);
}

/**
 * Puts the optimizer state saved in `artifacts` into `model.optimizer` (after `model.compile`).
 * tfjs does this itself when it compiles from the saved training config; this is for a model
 * the caller compiled. Skipped, with a warning, when the saved state belongs to another
 * optimizer class.
 *
 * @returns whether state was restored.
 */
export async function restoreOptimizerState(tf: TfModule, model: LayersModel, artifacts: ModelArtifacts): Promise<boolean> {
  const specs = artifacts.weightSpecs ?? [];
  if (!specs.some((s) => s.group === "optimizer") || artifacts.weightData === undefined || model.optimizer == null) return false;
  const saved = (artifacts.trainingConfig as { optimizer_config?: { class_name?: string } } | undefined)?.optimizer_config?.class_name;
  const current = model.optimizer.getClassName();
  if (saved !== undefined && saved !== current) {
    process.emitWarning(`runtrail/tfjs: the checkpoint holds ${saved} state but the model is compiled with ${current}; the optimizer starts fresh.`, {
      code: "RUNTRAIL_OPTIMIZER_MISMATCH",
    });
    return false;
  }
  const decoded = tf.io.decodeWeights(artifacts.weightData, specs);
  try {
    const state = specs.filter((s) => s.group === "optimizer").map((s) => ({ name: s.name, tensor: decoded[s.name]! }));
    await model.optimizer.setWeights(state);
  } finally {
    // setWeights makes variables of its own; these decoded copies are no longer needed.
    for (const t of Object.values(decoded)) t.dispose();
  }
  return true;
}

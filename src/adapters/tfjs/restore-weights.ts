import { fileIOHandler, MODEL_JSON } from "./file-io.js";
import { join } from "node:path";
import { CorruptRunError } from "../../core/errors.js";
import type { LayersModel, TfModule } from "./types.js";

/**
 * Loads the model weights of a checkpoint folder (`model.json` + `weights.bin`) into `model`,
 * matched by weight name as `tf.loadLayersModel` does; the optimizer's state in the folder is
 * left out (as Keras's `restore_best_weights`, only the weights go back). Every weight of the
 * model must be in the checkpoint.
 *
 * @throws ArtifactNotFoundError / CorruptRunError when the folder cannot be read; CorruptRunError
 * when its weights do not fit the model (another architecture).
 */
export async function loadWeightsInto(tf: TfModule, model: LayersModel, dir: string): Promise<void> {
  const artifacts = await fileIOHandler(join(dir, MODEL_JSON)).load();
  const specs = artifacts.weightSpecs ?? [];
  if (artifacts.weightData === undefined || specs.length === 0) {
    throw new CorruptRunError(`checkpoint ${dir} holds no weights (its model.json lists none).`, dir);
  }
  let decoded: ReturnType<TfModule["io"]["decodeWeights"]>;
  try {
    decoded = tf.io.decodeWeights(artifacts.weightData, specs);
  } catch (err) {
    throw new CorruptRunError(`the weights of checkpoint ${dir} cannot be decoded (a truncated or damaged weights.bin): ${(err as Error).message}`, dir, err);
  }
  try {
    const weights = Object.fromEntries(specs.filter((s) => s.group !== "optimizer").map((s) => [s.name, decoded[s.name]!]));
    try {
      model.loadWeights(weights, true);
    } catch (err) {
      throw new CorruptRunError(`the weights of checkpoint ${dir} do not fit the model being trained: ${(err as Error).message}`, dir, err);
    }
  } finally {
    // The model's variables hold their own reference to the values they were assigned.
    for (const t of Object.values(decoded)) t.dispose();
  }
}

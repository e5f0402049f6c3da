import { join, resolve } from "node:path";
import { ArtifactNotFoundError, InvalidValueError } from "../../core/errors.js";
import { toFqnName } from "../../core/names.js";
import { readVersions, type StreamVersion, type VersionedStreamView } from "../../core/read/versions.js";

/** Which checkpoint: a step, the best one by the stream's `monitor`, or the newest on disk. */
export type CheckpointStep = number | "best" | "latest";

/** Options of {@link findCheckpoint}. */
export interface FindCheckpointOptions {
  /** The checkpoint stream (`checkpoint.name` of the callback). Default `"model"`. */
  name?: string;
  /** Default `"latest"`: the newest version still on disk. `"best"` is the one the lineage records as best. */
  step?: CheckpointStep;
}

/** One checkpoint version on disk. */
export interface CheckpointRecord {
  /** Stream name (sanitised). */
  name: string;
  step: number;
  /** Absolute path of the folder holding `model.json` and `weights.bin`. */
  path: string;
  /** The epoch it was saved at (tfjs's index), when the callback saved it. */
  epoch?: number;
  /** The metrics it was saved with. */
  metrics: Record<string, number>;
  framework?: string;
}

/** Where a run is: a live or ended `Run`, a run folder, or a stored run `s3://bucket/prefix/<uuid>` (read through its local cache; endpoint and keys from the environment). */
export type RunOrPath = string | { readonly artifactsPath: string };

function runPathOf(runOrPath: RunOrPath): string {
  if (typeof runOrPath === "string" && runOrPath.startsWith("s3://")) return runOrPath; // read through its local cache
  if (typeof runOrPath === "string" && runOrPath.length > 0) return resolve(runOrPath);
  if (runOrPath && typeof runOrPath === "object" && typeof runOrPath.artifactsPath === "string") return runOrPath.artifactsPath;
  throw new InvalidValueError("pass a Run (live or ended) or the path of a run folder.", runOrPath);
}

/**
 * Every version of a checkpoint stream still on disk, oldest first, read from the run folder
 * (so it works on a live run, an ended run or a run path).
 *
 * @throws ArtifactNotFoundError when the run has no such stream.
 * @example
 * (await listCheckpoints("./plx/runs/<uuid>")).map((c) => c.step); // [3, 7, 9]
 */
export async function listCheckpoints(runOrPath: RunOrPath, opts: Pick<FindCheckpointOptions, "name"> = {}): Promise<CheckpointRecord[]> {
  return (await checkpointStream(runPathOf(runOrPath), toFqnName(opts.name ?? "model"))).onDisk;
}

/** The stream read by the core's one versions reader, and its versions on disk as records. */
async function checkpointStream(runPath: string, name: string): Promise<{ view: VersionedStreamView; onDisk: CheckpointRecord[] }> {
  let view: VersionedStreamView;
  try {
    view = await readVersions(runPath, "model", name);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) {
      throw new ArtifactNotFoundError(`run ${runPath} has no checkpoints named "${name}" (no events/model/${name}.plx).`, name, err);
    }
    throw err;
  }
  const onDisk = view.versions
    .filter((v): v is StreamVersion & { step: number } => v.exists && v.step !== null)
    .map((v) => ({
      name,
      step: v.step,
      path: join(view.runPath, v.path),
      ...(typeof v.spec.epoch === "number" && { epoch: v.spec.epoch }),
      metrics: { ...v.metrics },
      ...(v.framework !== null && { framework: v.framework }),
    }))
    .sort((a, b) => a.step - b.step);
  return { view, onDisk };
}

/**
 * Finds one checkpoint version on disk: by step, `"latest"` (newest on disk) or `"best"` (the
 * stream's lineage `best`, set when the checkpoints were saved with a `monitor`).
 *
 * @throws ArtifactNotFoundError naming the steps that exist when the one asked for does not.
 * @example
 * const ckpt = await findCheckpoint(run, { step: "best" }); // { step, path, epoch, metrics }
 */
export async function findCheckpoint(runOrPath: RunOrPath, opts: FindCheckpointOptions = {}): Promise<CheckpointRecord> {
  const want = opts.step ?? "latest";
  if (want !== "best" && want !== "latest" && !(Number.isSafeInteger(want) && want >= 0)) {
    throw new InvalidValueError(`step must be a non-negative integer, "best" or "latest" (got ${JSON.stringify(want)}).`, want);
  }
  const runPath = runPathOf(runOrPath);
  const name = toFqnName(opts.name ?? "model");
  const { view, onDisk: all } = await checkpointStream(runPath, name);
  const steps = all.map((c) => c.step);
  if (all.length === 0) throw new ArtifactNotFoundError(`run ${runPath} has no checkpoint of "${name}" left on disk.`, name);
  if (want === "latest") return all[all.length - 1]!;
  let step = want;
  if (want === "best") {
    const best = view.best?.step;
    if (best === undefined) {
      throw new ArtifactNotFoundError(`no best checkpoint of "${name}" is recorded: its checkpoints were saved without \`monitor\`. Ask for "latest" or a step (${steps.join(", ")}).`, name);
    }
    step = best;
  }
  const found = all.find((c) => c.step === step);
  if (!found) {
    throw new ArtifactNotFoundError(`checkpoint "${name}" step ${step} is not on disk (retention removed it, or it was never saved); steps on disk: ${steps.join(", ")}.`, step);
  }
  return found;
}

import fs from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ArtifactNotFoundError, CorruptRunError, InvalidValueError } from "../../core/errors.js";
import { resolveInside } from "../../core/paths.js";
import type { IOHandler, ModelArtifacts, WeightsManifestEntry } from "./types.js";

/** File names of tfjs-node's `file://` layout. */
export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

type WeightData = ArrayBuffer | ArrayBuffer[];

/** The shards of tfjs weight data (one buffer, or several), as views of the same bytes (no copy). */
export function weightShards(data: WeightData | undefined): Uint8Array[] {
  if (data === undefined || data === null) return [];
  return (Array.isArray(data) ? data : [data]).map((b) => new Uint8Array(b)).filter((b) => b.byteLength > 0);
}

/** A Buffer's bytes as a standalone ArrayBuffer (tfjs decodes weights from ArrayBuffers). */
function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength
    ? (buf.buffer as ArrayBuffer)
    : (buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
}

/**
 * A tfjs IOHandler for a folder in tfjs-node's `file://` layout, without tfjs-node: `save` writes
 * `model.json` (`modelTopology`, `weightsManifest: [{ paths: ["weights.bin"], weights }]`,
 * `format`, `generatedBy`, `convertedBy`, then `trainingConfig`, `signature`,
 * `userDefinedMetadata` when present) and one `weights.bin`; `load` reads that layout (every
 * shard the manifest lists) from `model.json` or from its folder.
 *
 * @param path For saving, the folder (created when missing). For loading, `model.json` or its folder.
 * @example
 * await model.save(fileIOHandler("./my-model"));
 * const again = await tf.loadLayersModel(fileIOHandler("./my-model/model.json"));
 */
export function fileIOHandler(path: string): IOHandler & Required<Pick<IOHandler, "save" | "load">> {
  if (typeof path !== "string" || path.length === 0) {
    throw new InvalidValueError(`fileIOHandler: path must be a non-empty string (got ${JSON.stringify(path)}).`, path);
  }
  const target = resolve(path);
  return {
    save: (artifacts) => saveArtifacts(target, artifacts),
    load: () => loadArtifacts(target),
  };
}

async function saveArtifacts(dir: string, artifacts: ModelArtifacts): Promise<{ modelArtifactsInfo: ReturnType<typeof artifactsInfo> }> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new InvalidValueError("fileIOHandler: saving a binary (GraphDef) model topology is not supported; only layers models are.", dir);
  }
  await mkdir(dir, { recursive: true });
  const modelJSON: Record<string, unknown> = {
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
  };
  if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature != null) modelJSON.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
  const shards = weightShards(artifacts.weightData as WeightData | undefined);
  await Promise.all([writeFile(join(dir, MODEL_JSON), JSON.stringify(modelJSON), "utf8"), writeShards(join(dir, WEIGHTS_BIN), shards)]);
  return { modelArtifactsInfo: artifactsInfo(artifacts, shards.reduce((n, s) => n + s.byteLength, 0)) };
}

/** writev takes at most IOV_MAX (1024 on Linux) buffers per call. */
const IOV_MAX = 1024;

/**
 * Writes the shards one after the other into `file` with as few thread-pool requests as
 * possible (open, one `writev` per 1024 shards and after a partial write, close), without
 * concatenating them first (a 100 MB copy). `fs/promises.writeFile` would split the data into
 * 512 KiB writes, each needing a turn of the event loop to start the next: while a training loop
 * holds the main thread, a 100 MB checkpoint would take 200 turns to be written.
 */
function writeShards(file: string, shards: Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(file, "w", (openErr, fd) => {
      if (openErr) return reject(openErr);
      const finish = (err: Error | null): void => fs.close(fd, (closeErr) => (err ?? closeErr ? reject(err ?? closeErr) : resolve()));
      let rest = shards;
      const next = (): void => {
        if (rest.length === 0) return finish(null);
        fs.writev(fd, rest.slice(0, IOV_MAX), (err, written) => {
          if (err) return finish(err);
          rest = skipBytes(rest, written);
          next();
        });
      };
      next();
    });
  });
}

/** The shards left after the first `n` bytes are written. */
function skipBytes(shards: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of shards) {
    if (n >= s.byteLength) {
      n -= s.byteLength;
      continue;
    }
    out.push(n > 0 ? s.subarray(n) : s);
    n = 0;
  }
  return out;
}

/** What `tf.io.getModelArtifactsInfoForJSON` reports, computed without tfjs. */
function artifactsInfo(artifacts: ModelArtifacts, weightDataBytes: number) {
  return {
    dateSaved: new Date(),
    modelTopologyType: "JSON" as const,
    modelTopologyBytes: artifacts.modelTopology == null ? 0 : Buffer.byteLength(JSON.stringify(artifacts.modelTopology), "utf8"),
    weightSpecsBytes: artifacts.weightSpecs == null ? 0 : Buffer.byteLength(JSON.stringify(artifacts.weightSpecs), "utf8"),
    weightDataBytes,
  };
}

async function loadArtifacts(path: string): Promise<ModelArtifacts> {
  let jsonPath = path;
  try {
    if ((await stat(path)).isDirectory()) jsonPath = join(path, MODEL_JSON);
  } catch (err) {
    throw new ArtifactNotFoundError(`fileIOHandler: nothing exists at ${path}; give the path of a model.json (or its folder).`, path, err);
  }
  let modelJSON: Record<string, any>;
  try {
    modelJSON = JSON.parse(await readFile(jsonPath, "utf8")) as Record<string, any>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ArtifactNotFoundError(`fileIOHandler: ${jsonPath} does not exist.`, jsonPath, err);
    }
    throw new CorruptRunError(`fileIOHandler: ${jsonPath} is not a readable model.json.`, jsonPath, err);
  }
  const artifacts: ModelArtifacts = {
    modelTopology: modelJSON.modelTopology,
    format: modelJSON.format,
    generatedBy: modelJSON.generatedBy,
    convertedBy: modelJSON.convertedBy,
  };
  if (modelJSON.weightsManifest != null) {
    const folder = dirname(jsonPath);
    const specs: WeightsManifestEntry[] = [];
    const shards: Buffer[] = [];
    for (const group of modelJSON.weightsManifest as Array<{ paths: string[]; weights: WeightsManifestEntry[] }>) {
      for (const p of group.paths) {
        const file = resolveInside(folder, p, "weights file");
        try {
          shards.push(await readFile(file));
        } catch (err) {
          throw new ArtifactNotFoundError(`fileIOHandler: weights file ${file} (listed in ${jsonPath}) cannot be read.`, file, err);
        }
      }
      specs.push(...group.weights);
    }
    artifacts.weightSpecs = specs;
    artifacts.weightData = toArrayBuffer(shards.length === 1 ? shards[0]! : Buffer.concat(shards));
  }
  for (const key of ["trainingConfig", "signature", "userDefinedMetadata", "modelInitializer"] as const) {
    if (modelJSON[key] != null) (artifacts as Record<string, unknown>)[key] = modelJSON[key];
  }
  return artifacts;
}

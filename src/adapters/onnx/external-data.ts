import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";
import { OnnxValidationError } from "./errors.js";
import type { ExternalTensor } from "./graph-proto.js";
import type { OnnxExternalFile } from "./types.js";

/** An external data file of a model: its location as written in the model, and where it is on disk. */
export interface ExternalFile {
  /** Normalised location relative to the model's folder (`"weights.bin"`, `"data/w.bin"`). */
  location: string;
  /** Absolute path, `undefined` when the model was given as bytes. */
  path: string | undefined;
  sizeBytes: number | null;
  tensors: number;
}

/**
 * Groups the model's external tensors by file and checks each location: it must be a relative
 * path that stays inside the model's folder. With the model's path, each file must exist, be a
 * regular file, and hold every byte range its tensors name.
 *
 * @throws OnnxValidationError naming the tensor and the location that is refused or missing.
 */
export async function resolveExternalData(
  tensors: readonly ExternalTensor[],
  modelPath: string | undefined,
  label: string,
): Promise<ExternalFile[]> {
  const files = new Map<string, ExternalFile & { end: number; endTensor: string }>();
  for (const t of tensors) {
    const location = checkLocation(t, modelPath, label);
    let file = files.get(location);
    if (!file) {
      file = { location, path: modelPath && join(dirname(modelPath), location), sizeBytes: null, tensors: 0, end: 0, endTensor: t.tensor };
      files.set(location, file);
    }
    file.tensors++;
    if (t.length !== null && t.offset + t.length > file.end) {
      file.end = t.offset + t.length;
      file.endTensor = t.tensor;
    }
  }
  for (const file of files.values()) {
    if (file.path === undefined) continue;
    const st = await stat(file.path).catch((err: NodeJS.ErrnoException) => {
      throw new OnnxValidationError(
        `${label} keeps tensor data in the external file "${file.location}", which cannot be read (${err.code ?? err.message}) at ${file.path}. Keep the data files the exporter wrote next to the model.`,
        file.path,
        err,
      );
    });
    if (!st.isFile()) {
      throw new OnnxValidationError(`${label}: the external data location "${file.location}" is not a regular file (${file.path}).`, file.path);
    }
    if (st.size < file.end) {
      throw new OnnxValidationError(
        `${label}: the external data file "${file.location}" has ${st.size} bytes but tensor "${file.endTensor}" needs bytes up to ${file.end}; the file is truncated or from another export.`,
        file.path,
      );
    }
    file.sizeBytes = st.size;
  }
  return [...files.values()].map(({ location, path, sizeBytes, tensors: n }) => ({ location, path, sizeBytes, tensors: n }));
}

/** The public view of the files (no absolute paths). */
export function externalFilesInfo(files: readonly ExternalFile[]): OnnxExternalFile[] {
  return files.map(({ location, sizeBytes, tensors }) => ({ location, sizeBytes, tensors }));
}

function checkLocation(t: ExternalTensor, modelPath: string | undefined, label: string): string {
  const raw = t.location;
  const what = `tensor "${t.tensor}" of ${label}`;
  if (raw === "") throw new OnnxValidationError(`${what} is marked as external data but names no location.`, label);
  // ONNX writes "/" separators; a Windows exporter may write "\\".
  const location = posix.normalize(raw.replace(/\\/g, "/"));
  if (posix.isAbsolute(location) || /^[a-zA-Z]:/.test(location) || location === ".." || location.startsWith("../")) {
    throw new OnnxValidationError(
      `${what} keeps its data at "${raw}", outside the model's folder. External data locations must be relative paths inside the folder of the .onnx file (re-export with a plain file name as location).`,
      raw,
    );
  }
  if (location === "." || (modelPath !== undefined && location === basename(modelPath))) {
    throw new OnnxValidationError(`${what} names "${raw}" as its external data file, which is not a data file.`, raw);
  }
  if (!Number.isSafeInteger(t.offset) || t.offset < 0 || (t.length !== null && (!Number.isSafeInteger(t.length) || t.length < 0))) {
    throw new OnnxValidationError(`${what} has an invalid external data offset/length (${t.offset}/${t.length}).`, raw);
  }
  return location;
}

/**
 * Polyaxon's `hash_dir` (as runtrail computes it: one md5 over every file, in sorted path
 * order) of the folder that holds `files` at their relative paths, without building it.
 */
export async function hashFilesAsDir(files: ReadonlyArray<{ relPath: string; path: string }>): Promise<string> {
  const sorted = [...files].sort((a, b) => comparePaths(a.relPath, b.relPath));
  const hash = createHash("md5");
  for (const f of sorted) await hashInto(hash, f.path);
  return hash.digest("hex").slice(0, 12);
}

async function hashInto(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
}

/** A folder walk sorted by name at each level lists files in component-wise order. */
function comparePaths(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

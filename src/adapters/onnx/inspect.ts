import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { ArtifactNotFoundError, InvalidValueError } from "../../core/errors.js";
import { hashFile } from "../../core/fsutil.js";
import { FileSource } from "./byte-source.js";
import { OnnxValidationError } from "./errors.js";
import { externalFilesInfo, hashFilesAsDir, resolveExternalData, type ExternalFile } from "./external-data.js";
import { decodeModelProto, type DecodedModel } from "./model-proto.js";
import { loadOrt, SESSION_OPTIONS, type OrtSession, type OrtValueMetadata } from "./ort.js";
import type { OnnxSignature, OnnxValueInfo } from "./types.js";

/** Options of {@link inspectOnnx}. */
export interface InspectOnnxOptions {
  /**
   * Create an onnxruntime-node `InferenceSession` to confirm the model loads. With `false`
   * only the protobuf is decoded and onnxruntime-node is not needed.
   * @default true
   */
  load?: boolean;
}

/** A model given as a file path or as its bytes. */
export type OnnxSource = string | Uint8Array | ArrayBuffer;

/**
 * Reads an ONNX model's metadata and signature (IR version, opsets, producer, inputs and
 * outputs with element types and shapes — symbolic dims kept as their names, unnamed ones
 * `null` —, `metadata_props`, initializer types, operators and their domains, subgraphs,
 * model-local functions, external data files, size and hash) and, unless `load: false`,
 * confirms that onnxruntime-node can load it.
 *
 * A path is decoded through a small window: tensor payloads are skipped, never read, so the
 * memory used does not grow with the model's size. A model with external data must be given
 * by path, with its data files at the locations it names (inside the model's folder).
 *
 * @example
 * const sig = await inspectOnnx("model.onnx");
 * sig.inputs; // [{ name: "X", type: "float32", shape: ["N", 4] }]
 *
 * @throws OnnxValidationError when the bytes are not a valid ONNX model, an external data file
 *   is missing, truncated or outside the model's folder, or the session fails to load.
 * @throws ArtifactNotFoundError when the path cannot be read.
 * @throws MissingPeerDependencyError when `load` is true and onnxruntime-node is not installed.
 */
export async function inspectOnnx(source: OnnxSource, options: InspectOnnxOptions = {}): Promise<OnnxSignature> {
  const opened = await openOnnx(source, options.load ?? true);
  await opened.session?.release();
  return opened.signature;
}

/** A decoded model, where it came from and (when loaded) a live session the caller must release. */
export interface OpenedOnnx {
  signature: OnnxSignature;
  /** The model's bytes when it was given as bytes; `undefined` for a path (the file is never read whole). */
  bytes: Uint8Array | undefined;
  /** The model's path when it was given as a path. */
  path: string | undefined;
  /** External data files, located next to the model (empty when every tensor is inside it). */
  externalFiles: ExternalFile[];
  session: OrtSession | undefined;
}

/** {@link inspectOnnx} that keeps the session open, for running sample inputs. */
export async function openOnnx(source: OnnxSource, load: boolean): Promise<OpenedOnnx> {
  const label = typeof source === "string" ? source : `<${source.byteLength} bytes>`;
  const path = typeof source === "string" ? source : undefined;
  const bytes = typeof source === "string" ? undefined : toBytes(source);
  const decoded = decodeSource(path, bytes, label);
  const externalFiles = await resolveExternalData(decoded.externalTensors, path, label);
  if (externalFiles.length > 0 && path === undefined && load) {
    throw new OnnxValidationError(
      `${label} keeps tensor data in external files (${externalFiles.map((f) => f.location).join(", ")}), which cannot be found from bytes alone: pass the model's path, with its data files next to it.`,
      label,
    );
  }
  const { externalTensors: _, ...fields } = decoded;
  const signature: OnnxSignature = {
    ...fields,
    externalData: externalFilesInfo(externalFiles),
    sizeBytes: (bytes?.byteLength ?? (await stat(path!)).size) + externalFiles.reduce((sum, f) => sum + (f.sizeBytes ?? 0), 0),
    hash: await modelHash(path, bytes, externalFiles),
    loaded: false,
  };
  const opened: OpenedOnnx = { signature, bytes, path, externalFiles, session: undefined };
  if (!load) return opened;

  const ort = loadOrt();
  try {
    // A path lets onnxruntime find external data files next to the model.
    opened.session = await ort.InferenceSession.create(path ?? bytes!, { ...SESSION_OPTIONS });
  } catch (err) {
    throw new OnnxValidationError(`onnxruntime-node could not load ${label}: ${(err as Error).message ?? String(err)}.`, label, err);
  }
  signature.inputs = reconcile(decoded.inputs, opened.session.inputNames, opened.session.inputMetadata);
  signature.outputs = reconcile(decoded.outputs, opened.session.outputNames, opened.session.outputMetadata);
  signature.loaded = true;
  return opened;
}

/** Decodes from the file through a window (its tensor payloads are skipped, never read) or from the bytes. */
function decodeSource(path: string | undefined, bytes: Uint8Array | undefined, label: string): DecodedModel {
  let file: FileSource | undefined;
  if (path !== undefined) {
    try {
      file = new FileSource(path);
    } catch (err) {
      throw new ArtifactNotFoundError(`cannot read the ONNX model ${path}: ${(err as Error).message}`, path, err);
    }
  }
  try {
    if (file && !statSync(path!).isFile()) throw new ArtifactNotFoundError(`the ONNX model ${path} is not a file.`, path);
    return decodeModelProto(file ?? bytes!);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw err;
    throw new OnnxValidationError(
      `${label} is not a valid ONNX model: ${(err as Error).message}. Check that the export finished and wrote a ModelProto (a .onnx file).`,
      label,
      err,
    );
  } finally {
    file?.close();
  }
}

async function modelHash(path: string | undefined, bytes: Uint8Array | undefined, external: readonly ExternalFile[]): Promise<string> {
  if (path === undefined) return createHash("md5").update(bytes!).digest("hex").slice(0, 12);
  if (external.length === 0) return hashFile(path);
  return hashFilesAsDir([{ relPath: basename(path), path }, ...external.map((f) => ({ relPath: f.location, path: f.path! }))]);
}

function toBytes(source: Exclude<OnnxSource, string>): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  throw new InvalidValueError("an ONNX model must be given as a file path, a Uint8Array/Buffer or an ArrayBuffer.", source);
}

/**
 * onnxruntime's own lists are authoritative for which values are fed and fetched (and their
 * order); the decoded graph supplies types and symbolic dims, onnxruntime's metadata fills gaps.
 */
function reconcile(
  decoded: OnnxValueInfo[],
  names: readonly string[],
  metadata: readonly OrtValueMetadata[] | undefined,
): OnnxValueInfo[] {
  return names.map((name) => {
    const fromGraph = decoded.find((d) => d.name === name);
    if (fromGraph) return fromGraph;
    const meta = metadata?.find((m) => m.name === name);
    return {
      name,
      type: meta?.isTensor && meta.type ? meta.type : "undefined",
      shape: meta?.isTensor && meta.shape ? [...meta.shape] : null,
    };
  });
}

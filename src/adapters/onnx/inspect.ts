import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ArtifactNotFoundError, InvalidValueError } from "../../core/errors.js";
import { OnnxValidationError } from "./errors.js";
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
 * outputs with element types and shapes — symbolic dims kept as their names —,
 * `metadata_props`, size and hash) and, unless `load: false`, confirms that onnxruntime-node
 * can load it.
 *
 * @example
 * const sig = await inspectOnnx("model.onnx");
 * sig.inputs; // [{ name: "X", type: "float32", shape: ["N", 4] }]
 *
 * @throws OnnxValidationError when the bytes are not a valid ONNX model or the session fails to load.
 * @throws ArtifactNotFoundError when the path cannot be read.
 * @throws MissingPeerDependencyError when `load` is true and onnxruntime-node is not installed.
 */
export async function inspectOnnx(source: OnnxSource, options: InspectOnnxOptions = {}): Promise<OnnxSignature> {
  const opened = await openOnnx(source, options.load ?? true);
  await opened.session?.release();
  return opened.signature;
}

/** A decoded model, its bytes and (when loaded) a live session the caller must release. */
export interface OpenedOnnx {
  signature: OnnxSignature;
  bytes: Uint8Array;
  session: OrtSession | undefined;
}

/** {@link inspectOnnx} that keeps the session open, for running sample inputs. */
export async function openOnnx(source: OnnxSource, load: boolean): Promise<OpenedOnnx> {
  const label = typeof source === "string" ? source : `<${source.byteLength} bytes>`;
  const bytes = await readSource(source);
  let decoded: DecodedModel;
  try {
    decoded = decodeModelProto(bytes);
  } catch (err) {
    throw new OnnxValidationError(
      `${label} is not a valid ONNX model: ${(err as Error).message}. Check that the export finished and wrote a ModelProto (a .onnx file).`,
      label,
      err,
    );
  }
  const signature: OnnxSignature = {
    irVersion: decoded.irVersion,
    opsets: decoded.opsets,
    producer: decoded.producer,
    domain: decoded.domain,
    modelVersion: decoded.modelVersion,
    docString: decoded.docString,
    graphName: decoded.graphName,
    inputs: decoded.inputs,
    outputs: decoded.outputs,
    metadataProps: decoded.metadataProps,
    sizeBytes: bytes.byteLength,
    hash: createHash("md5").update(bytes).digest("hex").slice(0, 12),
    loaded: false,
  };
  if (!load) return { signature, bytes, session: undefined };

  const ort = loadOrt();
  let session: OrtSession;
  try {
    // A path lets onnxruntime find external weight files next to the model.
    session = await ort.InferenceSession.create(typeof source === "string" ? source : bytes, { ...SESSION_OPTIONS });
  } catch (err) {
    const hint = decoded.hasExternalData && typeof source !== "string" ? " The model keeps weights in external files: pass its path instead of its bytes." : "";
    throw new OnnxValidationError(
      `onnxruntime-node could not load ${label}: ${(err as Error).message ?? String(err)}.${hint}`,
      label,
      err,
    );
  }
  signature.inputs = reconcile(decoded.inputs, session.inputNames, session.inputMetadata);
  signature.outputs = reconcile(decoded.outputs, session.outputNames, session.outputMetadata);
  signature.loaded = true;
  return { signature, bytes, session };
}

async function readSource(source: OnnxSource): Promise<Uint8Array> {
  if (typeof source === "string") {
    try {
      const buf = await readFile(source);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      throw new ArtifactNotFoundError(`cannot read the ONNX model ${source}: ${(err as Error).message}`, source, err);
    }
  }
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

import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { LoggedAsset } from "../../core/assets.js";
import { InvalidValueError, RunEndedError } from "../../core/errors.js";
import { copyPath } from "../../core/fsutil.js";
import { pathExtension, toFqnName } from "../../core/names.js";
import { RunLayout } from "../../core/paths.js";
import type { Run } from "../../core/run.js";
import { resolveRun } from "../../core/tracking.js";
import { checkStep } from "../../core/validate.js";
import { OnnxValidationError } from "./errors.js";
import { openOnnx, type OnnxSource, type OpenedOnnx } from "./inspect.js";
import { loadOrt } from "./ort.js";
import { checkParity, DEFAULT_TOLERANCE, type OnnxFeed, type OnnxReference } from "./parity.js";
import type { OnnxParityResult, OnnxSignature } from "./types.js";

/** What an export function may produce: the model's bytes, the path of a `.onnx` file, or nothing (it wrote `options.path`). */
export type OnnxExportOutput = Uint8Array | ArrayBuffer | string | void | undefined;

/** Options of {@link withOnnxExport}. */
export interface OnnxExportOptions {
  /** Run to log to. @default the default run (the latest `init()` / `tracking.init()`) */
  run?: Run;
  /** Model name: the lineage name and, with `step`, the file `assets/model/<name>_<step>.onnx`. Sanitised with Polyaxon's `to_fqn_name`. */
  name: string;
  /** Log a versioned copy at this step (a non-negative integer). Without it the model goes to `outputs/model/`. */
  step?: number;
  /**
   * Load the model in an onnxruntime-node `InferenceSession` (and run `sampleInputs`) before
   * logging. With `false`, only the protobuf metadata is read and onnxruntime-node is not needed.
   * @default true
   */
  validate?: boolean;
  /** One feed (inputs keyed by graph input name) or a list of feeds to run through the model. */
  sampleInputs?: OnnxFeed | readonly OnnxFeed[];
  /** Expected outputs, or a function / tfjs-like model computing them from each feed. Needs `sampleInputs`. */
  reference?: OnnxReference;
  /** Largest allowed absolute difference per output element. @default 1e-4 */
  tolerance?: number;
  /** The file the export function writes when it returns nothing. */
  path?: string;
  /**
   * Extra lineage summary keys, e.g. `{ sourceCheckpoint: { name: "classifier", step: 12 } }`.
   * Keys computed by runtrail (`signature`, `opsets`, `producer`, `irVersion`, `metadataProps`,
   * `initializers`, `operators`, `functions`, `externalData`, `sizeBytes`, `hash`, `parity`,
   * `validated`) take precedence.
   */
  summary?: Record<string, unknown>;
  /** Called after the model was logged, with where it landed and what was recorded. */
  onLogged?: (record: OnnxExportRecord) => void;
}

/** What {@link withOnnxExport} logged for one call. */
export interface OnnxExportRecord {
  /** Where the model file landed in the run. */
  asset: LoggedAsset;
  signature: OnnxSignature;
  parity: OnnxParityResult;
  /** The summary passed to `run.logModel`. */
  summary: Record<string, unknown>;
}

/**
 * Wraps an ONNX export function: each call runs the export, validates the result (decodes the
 * model's metadata, loads it in onnxruntime-node, runs `sampleInputs` and compares them with
 * `reference`), then logs it with `run.logModel({ framework: "onnx" })` and a summary holding
 * the signature, opsets, producer, size, hash and parity result. The wrapper takes the export
 * function's parameters and resolves to what it returned.
 *
 * Returned bytes are written to a temporary file inside the run's `.runtrail/tmp/` and moved
 * (non-versioned) or copied (with `step`) into place. A returned path, or `options.path`, is
 * copied: the user's file stays where it is.
 *
 * A model that keeps tensors in external data files (as exporters do past 2 GB) is logged as a
 * folder holding the `.onnx` file and its data files at the locations the model names —
 * `assets/model/<name>_<step>/` (or `outputs/model/<name>/`) — so onnxruntime loads it from
 * there, and the lineage hash covers every file.
 *
 * A model that is not valid, does not load, or fails parity throws ({@link OnnxValidationError},
 * {@link OnnxParityError}) and nothing is logged or left in the run.
 *
 * @example
 * const exportModel = withOnnxExport(() => exportTfjsToOnnx(model), {
 *   name: "classifier",
 *   step: 10,
 *   sampleInputs: { input: x },
 *   reference: (feed) => model.predict(feed.input),
 * });
 * const bytes = await exportModel();
 */
export function withOnnxExport<A extends unknown[], R extends OnnxExportOutput>(
  exportFn: (...args: A) => R | Promise<R>,
  options: OnnxExportOptions,
): (...args: A) => Promise<R> {
  if (typeof exportFn !== "function") throw new InvalidValueError("withOnnxExport: exportFn must be a function.", exportFn);
  if (typeof options !== "object" || options === null) {
    throw new InvalidValueError('withOnnxExport: options with at least `name` are required, e.g. { name: "classifier" }.', options);
  }
  const name = toFqnName(options.name);
  const step = options.step === undefined ? undefined : checkStep(options.step, "withOnnxExport");
  const validate = options.validate ?? true;
  if (options.sampleInputs !== undefined && !validate) {
    throw new InvalidValueError("withOnnxExport: sampleInputs need onnxruntime-node; remove `validate: false` or the sample inputs.", options.sampleInputs);
  }
  if (options.reference !== undefined && options.sampleInputs === undefined) {
    throw new InvalidValueError("withOnnxExport: `reference` needs `sampleInputs` to compare against.", options.reference);
  }
  if (options.path !== undefined && (typeof options.path !== "string" || options.path === "")) {
    throw new InvalidValueError("withOnnxExport: `path` must be a non-empty string.", options.path);
  }
  if (options.summary !== undefined && (typeof options.summary !== "object" || options.summary === null || Array.isArray(options.summary))) {
    throw new InvalidValueError("withOnnxExport: `summary` must be a plain object.", options.summary);
  }
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new InvalidValueError(`withOnnxExport: tolerance must be a finite number ≥ 0 (got ${String(tolerance)}).`, tolerance);
  }

  return async (...args: A): Promise<R> => {
    const run = resolveRun(options.run, "withOnnxExport()");
    // Refuse before exporting: the export may take long and its result could not be logged.
    if (run.isEnded) throw new RunEndedError(run.uuid, "withOnnxExport");
    const result = await exportFn(...args);
    const source = exportedSource(result, options.path);
    const opened = await openOnnx(source, validate);
    if (opened.externalFiles.length > 0 && opened.path === undefined) {
      const files = opened.externalFiles.map((f) => f.location).join(", ");
      throw new OnnxValidationError(
        `withOnnxExport: the export function returned the bytes of a model that keeps tensor data in external files (${files}); return the model's path instead (or pass \`path\`), with the data files next to it, so they are logged with it.`,
        files,
      );
    }
    let parity: OnnxParityResult = { checked: false, maxAbsDiff: null, tolerance: null, samples: 0 };
    try {
      if (opened.session && options.sampleInputs !== undefined) {
        parity = await checkParity(loadOrt(), opened.session, opened.signature, {
          sampleInputs: options.sampleInputs,
          reference: options.reference,
          tolerance,
        });
      }
    } finally {
      await opened.session?.release();
    }
    const sig = opened.signature;
    const summary: Record<string, unknown> = {
      ...options.summary,
      signature: { inputs: sig.inputs, outputs: sig.outputs },
      opsets: sig.opsets,
      producer: sig.producer,
      irVersion: sig.irVersion,
      metadataProps: sig.metadataProps,
      initializers: sig.initializers,
      operators: sig.operators,
      functions: sig.functions,
      externalData: sig.externalData,
      sizeBytes: sig.sizeBytes,
      hash: sig.hash,
      validated: sig.loaded,
      parity,
    };
    const asset = opened.externalFiles.length > 0 ? await logWithExternalData(run, name, step, opened, summary) : await logOnnx(run, name, step, source, opened.bytes, summary);
    options.onLogged?.({ asset, signature: sig, parity, summary });
    return result;
  };
}

/** A model with external data becomes a folder asset: the model file plus each data file at its location. */
function logWithExternalData(
  run: Run,
  name: string,
  step: number | undefined,
  opened: OpenedOnnx,
  summary: Record<string, unknown>,
): Promise<LoggedAsset> {
  const modelPath = opened.path!;
  return run.saveModel({
    name,
    framework: "onnx",
    summary,
    ...(step !== undefined && { step }),
    write: async (dir) => {
      await copyPath(modelPath, join(dir, basename(modelPath)));
      for (const file of opened.externalFiles) {
        const dest = join(dir, file.location);
        await mkdir(dirname(dest), { recursive: true });
        await copyPath(file.path!, dest);
      }
    },
  });
}

function exportedSource(result: unknown, path: string | undefined): OnnxSource {
  if (result instanceof Uint8Array || result instanceof ArrayBuffer) return result;
  if (typeof result === "string" && result !== "") return result;
  if (result === undefined || result === null) {
    if (path !== undefined) return path;
    throw new InvalidValueError(
      "withOnnxExport: the export function returned nothing and no `path` option names the file it wrote; return the ONNX bytes or a path, or pass `path`.",
      result,
    );
  }
  throw new InvalidValueError(
    "withOnnxExport: the export function must return ONNX bytes (Uint8Array/Buffer/ArrayBuffer), a path to a .onnx file, or nothing (with the `path` option).",
    result,
  );
}

/**
 * Hands the validated model to the core. Bytes (and a path without the `.onnx` extension when a
 * versioned `<name>_<step>.onnx` is wanted) go through a temporary file inside the run, so
 * the core's move is a rename; the temporary folder is always removed.
 */
async function logOnnx(
  run: Run,
  name: string,
  step: number | undefined,
  source: OnnxSource,
  bytes: Uint8Array | undefined,
  summary: Record<string, unknown>,
): Promise<LoggedAsset> {
  const common = { name, framework: "onnx", summary, ...(step !== undefined && { step }) };
  if (typeof source === "string" && (step === undefined || pathExtension(source) === "onnx")) {
    return run.logModel({ ...common, path: source, copy: true });
  }
  const tmpDir = join(run.artifactsPath, RunLayout.private, "tmp", `onnx-${randomBytes(6).toString("hex")}`);
  try {
    await mkdir(tmpDir, { recursive: true });
    const file = join(tmpDir, `${name}.onnx`);
    if (bytes) await writeFile(file, bytes);
    else await copyPath(source as string, file);
    return await run.logModel({ ...common, path: file });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

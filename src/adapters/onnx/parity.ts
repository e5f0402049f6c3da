import { InvalidValueError } from "../../core/errors.js";
import { OnnxParityError } from "./errors.js";
import type { OrtModule, OrtSession, OrtTensor } from "./ort.js";
import { asNumber, flatten, inferDims, isTensorValue, toOrtData, type FlatTensor, type OnnxTensorInput } from "./tensors.js";
import type { OnnxParityResult, OnnxValueInfo } from "./types.js";

/** One set of model inputs, keyed by graph input name. */
export type OnnxFeed = Readonly<Record<string, OnnxTensorInput>>;

/**
 * Expected outputs for one feed: a record keyed by output name (outputs left out are not
 * compared), a single tensor (one-output models), or a list of tensors in output order (what
 * tfjs `predict` returns for several outputs).
 */
export type OnnxReferenceOutputs = Readonly<Record<string, OnnxTensorInput>> | OnnxTensorInput | readonly OnnxTensorInput[];

/**
 * Where reference outputs come from: fixed values (one {@link OnnxReferenceOutputs} per feed
 * when `sampleInputs` is a list), a function called with each feed as it was given, or a
 * tfjs-like model whose `predict` gets the feed's input (a list of inputs, in graph order,
 * when the model has several).
 */
export type OnnxReference =
  | OnnxReferenceOutputs
  | readonly OnnxReferenceOutputs[]
  | ((feed: OnnxFeed, index: number) => OnnxReferenceOutputs | Promise<OnnxReferenceOutputs>)
  | { predict(x: never): unknown };

/** Options of a parity run. */
export interface ParityOptions {
  /** One feed or a list of feeds. */
  sampleInputs: OnnxFeed | readonly OnnxFeed[];
  reference?: OnnxReference | undefined;
  /** Largest allowed absolute difference per element. @default 1e-4 */
  tolerance?: number | undefined;
}

/** Default absolute tolerance: float32 kernels of two runtimes usually agree to ~1e-6 on small models. */
export const DEFAULT_TOLERANCE = 1e-4;

interface Worst {
  diff: number;
  output: string;
  sample: number;
  index: number;
  onnx: number;
  reference: number;
}

/**
 * Runs every feed through the session and, when a reference is given, compares each output
 * element with it.
 *
 * @throws OnnxParityError when a feed does not fit the model, the run fails, shapes differ, or
 *   an element differs by more than the tolerance.
 */
export async function checkParity(
  ort: OrtModule,
  session: OrtSession,
  signature: { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] },
  options: ParityOptions,
): Promise<OnnxParityResult> {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (typeof tolerance !== "number" || !(tolerance >= 0) || !Number.isFinite(tolerance)) {
    throw new InvalidValueError(`tolerance must be a finite number ≥ 0 (got ${String(tolerance)}).`, tolerance);
  }
  const feeds: readonly OnnxFeed[] = Array.isArray(options.sampleInputs) ? options.sampleInputs : [options.sampleInputs as OnnxFeed];
  const reference = options.reference;
  if (Array.isArray(options.sampleInputs) && reference !== undefined && typeof reference !== "function" && !isModelLike(reference)) {
    if (!Array.isArray(reference) || reference.length !== feeds.length) {
      throw new InvalidValueError(
        `sampleInputs is a list of ${feeds.length} feeds, so reference must be a list of ${feeds.length} expected outputs (or a function).`,
        reference,
      );
    }
  }

  let worst: Worst | undefined;
  for (let i = 0; i < feeds.length; i++) {
    const feed = feeds[i]!;
    const outputs = await runFeed(ort, session, signature.inputs, feed, i);
    if (reference === undefined) continue;
    const expected = await referenceFor(reference, feed, i, Array.isArray(options.sampleInputs), signature);
    const w = compare(outputs, expected, signature.outputs, i);
    if (w && (!worst || w.diff > worst.diff)) worst = w;
  }

  if (reference === undefined) return { checked: false, maxAbsDiff: null, tolerance: null, samples: feeds.length };
  const maxAbsDiff = worst?.diff ?? 0;
  if (!(maxAbsDiff <= tolerance) && worst) {
    throw new OnnxParityError(
      `ONNX output "${worst.output}" differs from the reference by ${maxAbsDiff} (element ${worst.index} of sample ${worst.sample}: onnx ${worst.onnx}, reference ${worst.reference}), more than the tolerance ${tolerance}. The exported model does not compute what the source model does; nothing was logged.`,
      { ...worst, maxAbsDiff, tolerance },
    );
  }
  return { checked: true, maxAbsDiff, tolerance, samples: feeds.length };
}

async function runFeed(
  ort: OrtModule,
  session: OrtSession,
  inputs: OnnxValueInfo[],
  feed: OnnxFeed,
  sample: number,
): Promise<Record<string, OrtTensor>> {
  if (typeof feed !== "object" || feed === null || isTensorValue(feed)) {
    throw new OnnxParityError(
      `sample ${sample} must be an object keyed by input name (${inputs.map((i) => i.name).join(", ")}).`,
      feed,
    );
  }
  const expected = new Set(inputs.map((i) => i.name));
  const extra = Object.keys(feed).filter((k) => !expected.has(k));
  const missing = [...expected].filter((k) => !(k in feed));
  if (extra.length || missing.length) {
    throw new OnnxParityError(
      `sample ${sample} does not match the model's inputs (${[...expected].join(", ")})${missing.length ? `: missing ${missing.join(", ")}` : ""}${extra.length ? `; unknown ${extra.join(", ")}` : ""}.`,
      { sample, missing, extra },
    );
  }
  const tensors: Record<string, OrtTensor> = {};
  for (const info of inputs) tensors[info.name] = await toOrtTensor(ort, info, feed[info.name], sample);
  try {
    return await session.run(tensors);
  } catch (err) {
    throw new OnnxParityError(`running sample ${sample} through onnxruntime failed: ${(err as Error).message ?? String(err)}`, { sample }, err);
  }
}

async function toOrtTensor(ort: OrtModule, info: OnnxValueInfo, value: unknown, sample: number): Promise<OrtTensor> {
  const given = value as { type?: unknown; data?: unknown; dims?: unknown };
  if (typeof given?.type === "string" && given.type === info.type && Array.isArray(given.dims) && ArrayBuffer.isView(given.data)) {
    return new ort.Tensor(given.type, given.data, given.dims as number[]);
  }
  const flat = await flatten(value);
  const dims = flat && (flat.dims ?? inferDims(info.shape, flat.values.length));
  const data = flat && toOrtData(info.type, flat.values);
  if (!flat || !dims || data === undefined) {
    throw new OnnxParityError(
      `sample ${sample}, input "${info.name}" (${info.type}, shape ${JSON.stringify(info.shape)}) cannot be fed: give a tfjs tensor, an onnxruntime Tensor, { data, dims }, a nested array, or a flat array whose length fits the shape.`,
      { sample, input: info.name },
    );
  }
  return new ort.Tensor(info.type, data, dims);
}

function isModelLike(v: unknown): v is { predict(x: unknown): unknown } {
  return typeof v === "object" && v !== null && typeof (v as { predict?: unknown }).predict === "function";
}

async function referenceFor(
  reference: OnnxReference,
  feed: OnnxFeed,
  sample: number,
  isList: boolean,
  signature: { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] },
): Promise<Map<string, FlatTensor>> {
  let raw: unknown;
  let owned = false;
  if (typeof reference === "function") {
    try {
      raw = await reference(feed, sample);
    } catch (err) {
      throw new OnnxParityError(`the reference function failed on sample ${sample}: ${(err as Error).message ?? String(err)}`, { sample }, err);
    }
  } else if (isModelLike(reference)) {
    const args = signature.inputs.map((i) => feed[i.name]);
    try {
      raw = (reference as { predict(x: unknown): unknown }).predict(args.length === 1 ? args[0] : args);
    } catch (err) {
      throw new OnnxParityError(`the reference model's predict() failed on sample ${sample}: ${(err as Error).message ?? String(err)}`, { sample }, err);
    }
    owned = true;
  } else {
    raw = isList ? (reference as readonly OnnxReferenceOutputs[])[sample] : reference;
  }
  try {
    return await normalizeOutputs(raw, signature.outputs, sample);
  } finally {
    if (owned) dispose(raw);
  }
}

async function normalizeOutputs(raw: unknown, outputs: OnnxValueInfo[], sample: number): Promise<Map<string, FlatTensor>> {
  const names = outputs.map((o) => o.name);
  const entries: Array<[string, unknown]> = [];
  if (isTensorValue(raw)) {
    if (names.length !== 1) {
      throw new OnnxParityError(
        `the reference for sample ${sample} is a single tensor but the model has ${names.length} outputs (${names.join(", ")}): give a record keyed by output name.`,
        { sample },
      );
    }
    entries.push([names[0]!, raw]);
  } else if (Array.isArray(raw)) {
    if (raw.length !== names.length) {
      throw new OnnxParityError(`the reference for sample ${sample} lists ${raw.length} outputs, the model has ${names.length} (${names.join(", ")}).`, { sample });
    }
    raw.forEach((v, i) => entries.push([names[i]!, v]));
  } else if (typeof raw === "object" && raw !== null) {
    for (const [key, v] of Object.entries(raw)) {
      if (!names.includes(key)) {
        throw new OnnxParityError(`the reference for sample ${sample} names an unknown output "${key}" (outputs: ${names.join(", ")}).`, { sample, output: key });
      }
      entries.push([key, v]);
    }
  } else {
    throw new OnnxParityError(`the reference for sample ${sample} is missing or not a tensor, list or record of tensors.`, { sample, reference: raw });
  }
  const result = new Map<string, FlatTensor>();
  for (const [name, v] of entries) {
    const flat = await flatten(v);
    if (!flat) throw new OnnxParityError(`the reference for output "${name}" of sample ${sample} is not a tensor value.`, { sample, output: name });
    result.set(name, flat);
  }
  return result;
}

function compare(outputs: Record<string, OrtTensor>, expected: Map<string, FlatTensor>, infos: OnnxValueInfo[], sample: number): Worst | undefined {
  let worst: Worst | undefined;
  for (const info of infos) {
    const ref = expected.get(info.name);
    const out = outputs[info.name];
    if (!ref || !out) continue;
    const actual = out.data as ArrayLike<unknown>;
    const dimsDiffer = ref.dims !== undefined && (ref.dims.length !== out.dims.length || ref.dims.some((d, i) => d !== out.dims[i]));
    if (dimsDiffer || ref.values.length !== actual.length) {
      throw new OnnxParityError(
        `output "${info.name}" of sample ${sample} has shape ${JSON.stringify(out.dims)} (${actual.length} values) but the reference has ${ref.dims ? `shape ${JSON.stringify(ref.dims)}` : "a flat array"} (${ref.values.length} values).`,
        { sample, output: info.name, onnxDims: [...out.dims], referenceDims: ref.dims ?? null },
      );
    }
    for (let i = 0; i < actual.length; i++) {
      const a = typeof actual[i] === "string" ? Number.NaN : asNumber(actual[i]);
      const b = asNumber(ref.values[i]);
      const diff = elementDiff(a, b, actual[i], ref.values[i]);
      if (!worst || diff > worst.diff) worst = { diff, output: info.name, sample, index: i, onnx: a, reference: b };
    }
  }
  return worst;
}

/** NaN matches NaN and equal infinities match; any other non-finite pair is an infinite difference. */
function elementDiff(a: number, b: number, rawA: unknown, rawB: unknown): number {
  if (typeof rawA === "string" || typeof rawB === "string") return rawA === rawB ? 0 : Number.POSITIVE_INFINITY;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Number.POSITIVE_INFINITY;
  if (a === b) return 0;
  return Math.abs(a - b);
}

function dispose(v: unknown): void {
  if (Array.isArray(v)) for (const item of v) dispose(item);
  else if (typeof (v as { dispose?: unknown })?.dispose === "function") (v as { dispose(): void }).dispose();
}

/**
 * The shape of the tfjs objects the exporter reads. Recognised by duck typing, never
 * `instanceof`, so models from `@tensorflow/tfjs`, `-node` or `-node-gpu` (any copy) work.
 */
export interface TfjsTensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  data(): Promise<ArrayLike<number>>;
}

/** One call of a layer in the model's graph (tfjs `Node`). */
export interface TfjsNodeLike {
  readonly inputTensors: readonly TfjsSymbolicLike[];
  readonly outputTensors: readonly TfjsSymbolicLike[];
  readonly callArgs?: Record<string, unknown>;
}

export interface TfjsLayerLike {
  readonly name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): TfjsTensorLike[];
  /** The calls of the layer (one per use: a shared layer has several). */
  readonly inboundNodes?: readonly TfjsNodeLike[];
  /** Set on `Bidirectional` wrappers. */
  readonly forwardLayer?: TfjsLayerLike;
  readonly backwardLayer?: TfjsLayerLike;
  /** Set on `TimeDistributed` and other wrappers. */
  readonly layer?: TfjsLayerLike;
}

/** A tfjs `SymbolicTensor`: a value of the model's graph, made by one call of `sourceLayer`. */
export interface TfjsSymbolicLike {
  readonly id?: number;
  readonly shape: ReadonlyArray<number | null>;
  readonly dtype: string;
  readonly sourceLayer?: TfjsLayerLike;
}

/** A tfjs `LayersModel` (`Sequential` or functional) as far as the exporter is concerned. */
export interface TfjsModelLike extends TfjsLayerLike {
  readonly name: string;
  readonly layers: readonly TfjsLayerLike[];
  readonly inputs: readonly TfjsSymbolicLike[];
  readonly outputs: readonly TfjsSymbolicLike[];
  /** Names of the input layers and of the output layers (functional models). */
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
}

/** True for anything that looks like a tfjs `LayersModel` (layers, `getClassName`, `getConfig`). */
export function isTfjsModel(v: unknown): v is TfjsModelLike {
  const m = v as Partial<Record<keyof TfjsModelLike, unknown>>;
  return (
    typeof v === "object" &&
    v !== null &&
    Array.isArray(m.layers) &&
    typeof m.getClassName === "function" &&
    typeof m.getConfig === "function"
  );
}

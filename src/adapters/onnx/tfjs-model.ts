/**
 * The shape of the tfjs objects the exporter reads. Recognised by duck typing, never
 * `instanceof`, so models from `@tensorflow/tfjs`, `-node` or `-node-gpu` (any copy) work.
 */
export interface TfjsTensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  data(): Promise<ArrayLike<number>>;
}

export interface TfjsLayerLike {
  readonly name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): TfjsTensorLike[];
}

export interface TfjsSymbolicLike {
  readonly shape: ReadonlyArray<number | null>;
  readonly dtype: string;
}

/** A tfjs `Sequential` model as far as the exporter is concerned. */
export interface TfjsModelLike {
  readonly name: string;
  readonly layers: readonly TfjsLayerLike[];
  readonly inputs: readonly TfjsSymbolicLike[];
  readonly outputs: readonly TfjsSymbolicLike[];
  getClassName(): string;
  getConfig(): unknown;
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

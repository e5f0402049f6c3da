import { InvalidValueError } from "../../../core/errors.js";
import { OnnxUnsupportedModelError } from "../errors.js";
import { GraphBuilder } from "../graph-builder.js";
import type { TfjsLayerLike } from "../tfjs-model.js";

/** A tfjs shape: dim 0 is the batch (`null`), other dims are sizes or `null` when unknown. */
export type Shape = ReadonlyArray<number | null>;

/** A value of the ONNX graph with the shape tfjs gives it (tfjs's layout, e.g. NHWC). */
export interface Value {
  readonly name: string;
  readonly shape: Shape;
}

/** One weight of a layer, read once. */
export interface Weight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** One call of a layer, as a translator sees it. */
export interface LayerCall {
  readonly layer: TfjsLayerLike;
  readonly config: Record<string, unknown>;
  readonly inputs: readonly Value[];
  /** Shapes tfjs computed for the call's outputs. */
  readonly outputShapes: readonly Shape[];
  /** Prefix for the names of the nodes and constants of this call. */
  readonly base: string;
  /** Every translator, for wrappers that translate the layer they wrap. */
  readonly translators: Readonly<Record<string, LayerTranslator>>;
}

/** Translates one layer class. */
export interface LayerTranslator {
  /** Why this layer's configuration has no translation (`undefined` when it has one). Runs before any work. */
  check?(layer: TfjsLayerLike, config: Record<string, unknown>, translators: Readonly<Record<string, LayerTranslator>>): string | undefined;
  /** Adds the layer's nodes and returns the names of its outputs, in tfjs's order. */
  translate(g: ExportGraph, call: LayerCall): string[] | Promise<string[]>;
}

/**
 * The graph being exported: a {@link GraphBuilder} plus the layer weights (each read from
 * tfjs once, so a shared layer's kernel is one initializer) and layout helpers.
 */
export class ExportGraph extends GraphBuilder {
  private readonly weightCache = new Map<TfjsLayerLike, Promise<Weight[]>>();
  private readonly constantCache = new Map<TfjsLayerLike, Map<string, string>>();

  /** The layer's weights (`getWeights()` order), as float32. */
  weights(layer: TfjsLayerLike): Promise<Weight[]> {
    let cached = this.weightCache.get(layer);
    if (!cached) {
      cached = Promise.all(
        layer.getWeights().map(async (w) => {
          if (w.dtype !== "float32") {
            throw new OnnxUnsupportedModelError(`exportTfjsToOnnx: layer ${layer.name} has ${w.dtype} weights; only float32 is supported.`, [w.dtype]);
          }
          return { shape: [...w.shape], data: Float32Array.from(await w.data()) };
        }),
      );
      this.weightCache.set(layer, cached);
    }
    return cached;
  }

  /** Weight `index` of the layer, checked to have `rank` dims. */
  async weight(layer: TfjsLayerLike, index: number, rank: number, what: string): Promise<Weight> {
    const w = (await this.weights(layer))[index];
    if (!w || w.shape.length !== rank) {
      throw new InvalidValueError(`exportTfjsToOnnx: layer ${layer.name} has no built ${what}; build the model (call it once or give inputShape) before exporting.`, layer.name);
    }
    return w;
  }

  /**
   * A float32 initializer made once per layer and `key` (a shared layer's second call reuses
   * it). `make` runs only on the first request.
   */
  layerConstant(layer: TfjsLayerLike, key: string, make: () => { dims: readonly number[]; data: Float32Array }): string {
    let perLayer = this.constantCache.get(layer);
    if (!perLayer) this.constantCache.set(layer, (perLayer = new Map()));
    let name = perLayer.get(key);
    if (!name) {
      const { dims, data } = make();
      name = this.constant(`${layer.name}/${key}`, dims, data);
      perLayer.set(key, name);
    }
    return name;
  }

  /** `Transpose(x, perm)`. */
  transpose(x: string, perm: readonly number[], base: string): string {
    return this.op("Transpose", [x], base, [{ name: "perm", type: "ints", value: perm }]);
  }

  /** `Reshape(x, dims)` where `0` keeps the input's dim and `-1` is inferred. */
  reshape(x: string, dims: readonly number[], base: string): string {
    return this.op("Reshape", [x, this.ints(`${base}_shape`, dims)], base);
  }

  /** `Squeeze(x, axes)` (axes as an input, opset 13). */
  squeeze(x: string, axes: readonly number[], base: string): string {
    return this.op("Squeeze", [x, this.ints(`${base}_axes`, axes)], base);
  }

  /** `Unsqueeze(x, axes)` (axes as an input, opset 13). */
  unsqueeze(x: string, axes: readonly number[], base: string): string {
    return this.op("Unsqueeze", [x, this.ints(`${base}_axes`, axes)], base);
  }

  /** Reverses `x` along `axis` (a `Slice` with step −1). */
  reverse(x: string, axis: number, base: string): string {
    return this.op("Slice", [x, this.ints(`${base}_starts`, [-1]), this.ints(`${base}_ends`, [INT64_MIN]), this.ints(`${base}_axes`, [axis]), this.ints(`${base}_steps`, [-1])], base);
  }
}

/** `Slice` bounds meaning "to the start" / "to the end" (ONNX clamps them). */
export const INT64_MIN = Number.MIN_SAFE_INTEGER;
export const INT64_MAX = Number.MAX_SAFE_INTEGER;

/** Reads a config value that tfjs gives either as a number or as one number per dim. */
export function perDim(value: unknown, n: number, name: string, layer: string): number[] {
  const list = typeof value === "number" ? Array.from({ length: n }, () => value) : Array.isArray(value) ? value.map(Number) : [];
  if (list.length === 1 && n > 1) return Array.from({ length: n }, () => list[0]!);
  if (list.length !== n || list.some((v) => !Number.isInteger(v))) {
    throw new InvalidValueError(`exportTfjsToOnnx: layer ${layer} has ${name} ${JSON.stringify(value)}; expected ${n} integer(s).`, value);
  }
  return list;
}

/** Normalises a possibly negative axis of a rank-`rank` tensor. */
export function positiveAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

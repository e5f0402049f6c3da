import type { AttributeSpec } from "../model-writer.js";
import type { TfjsLayerLike } from "../tfjs-model.js";
import type { ExportGraph, LayerCall, Shape } from "./graph.js";
import { perDim } from "./graph.js";

/**
 * tfjs is channels-last (N, …spatial, C) by default; ONNX Conv and pooling are channels-first
 * (N, C, …spatial). The model's inputs and outputs keep tfjs's layout: a channels-last layer
 * is wrapped in a Transpose on each side (onnxruntime folds back-to-back pairs away).
 */
export function isChannelsFirst(config: Record<string, unknown>, layer?: TfjsLayerLike): boolean {
  // tfjs's Conv1D leaves dataFormat out of getConfig() but honours it: read the layer too.
  return (config.dataFormat ?? (layer as { dataFormat?: unknown } | undefined)?.dataFormat) === "channelsFirst";
}

/** The spatial dims of a tfjs shape. */
export function spatialDims(shape: Shape, channelsFirst: boolean): Array<number | null> {
  return channelsFirst ? shape.slice(2) : shape.slice(1, -1);
}

/** Runs `body` on `x` in channels-first layout and returns the result in the layer's layout. */
export async function inChannelsFirst(
  g: ExportGraph,
  x: string,
  rank: number,
  channelsFirst: boolean,
  base: string,
  body: (x: string) => string | Promise<string>,
): Promise<string> {
  if (channelsFirst) return body(x);
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  const y = await body(g.transpose(x, [0, rank - 1, ...spatial], `${base}/to_nchw`));
  return g.transpose(y, [0, ...spatial.map((i) => i + 1), 1], `${base}/to_nhwc`);
}

/** The kernel, stride and dilation sizes of a convolution or pooling layer with `n` spatial dims. */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
}

/** Reads `kernelSize`/`poolSize`, `strides` and `dilationRate` from a config. */
export function windowOf(call: Pick<LayerCall, "config" | "base">, n: number, kernelKey: "kernelSize" | "poolSize"): Window {
  const { config, base } = call;
  const kernel = perDim(config[kernelKey], n, kernelKey, base);
  return {
    kernel,
    strides: perDim(config.strides ?? kernel, n, "strides", base),
    dilations: perDim(config.dilationRate ?? 1, n, "dilationRate", base),
  };
}

/**
 * ONNX padding attributes for tfjs's `valid` and `same` padding. `same` pads like
 * TensorFlow (the odd cell at the end), written as explicit pads when the spatial sizes are
 * known, else as `auto_pad: SAME_UPPER` (the same rule).
 */
export function paddingAttributes(padding: unknown, spatial: ReadonlyArray<number | null>, w: Window): AttributeSpec[] {
  if (padding !== "same") return [];
  if (spatial.some((d) => d === null)) return [{ name: "auto_pad", type: "string", value: "SAME_UPPER" }];
  const before: number[] = [];
  const after: number[] = [];
  spatial.forEach((size, i) => {
    const s = w.strides[i]!;
    const effective = (w.kernel[i]! - 1) * w.dilations[i]! + 1;
    const total = Math.max((Math.ceil(size! / s) - 1) * s + effective - size!, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  });
  return [{ name: "pads", type: "ints", value: [...before, ...after] }];
}

/** Why a config's `dilationRate` cannot be exported when the layer ignores it in tfjs. */
export function dilationProblem(config: Record<string, unknown>): string | undefined {
  const dilation = config.dilationRate;
  return dilation === undefined || dilation === null || [dilation].flat().every((d) => d === 1) ? undefined : `dilationRate ${JSON.stringify(dilation)}`;
}

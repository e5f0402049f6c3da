import type { LayerTranslator } from "../graph.js";
import { INT64_MAX } from "../graph.js";
import { inChannelsFirst, isChannelsFirst } from "../layout.js";

/** tfjs gives `[[top, bottom], [left, right]]`, or one number / one pair per dim. */
function pairs(value: unknown): [[number, number], [number, number]] {
  if (typeof value === "number") return [[value, value], [value, value]];
  const [h, w] = value as Array<number | [number, number]>;
  const pair = (v: number | [number, number]): [number, number] => (typeof v === "number" ? [v, v] : [v[0], v[1]]);
  return [pair(h!), pair(w!)];
}

/** The two spatial axes of a rank-4 tfjs tensor. */
function spatialAxes(config: Record<string, unknown>): [number, number] {
  return isChannelsFirst(config) ? [2, 3] : [1, 2];
}

const zeroPadding2d: LayerTranslator = {
  translate(g, { config, inputs, base }) {
    const [[top, bottom], [left, right]] = pairs(config.padding);
    const [h, w] = spatialAxes(config);
    const begin = [0, 0, 0, 0];
    const end = [0, 0, 0, 0];
    begin[h] = top;
    begin[w] = left;
    end[h] = bottom;
    end[w] = right;
    return [g.op("Pad", [inputs[0]!.name, g.ints(`${base}/pads`, [...begin, ...end])], `${base}/pad`)];
  },
};

const cropping2d: LayerTranslator = {
  translate(g, { config, inputs, base }) {
    const [[top, bottom], [left, right]] = pairs(config.cropping);
    const axes = spatialAxes(config);
    const ends = [bottom, right].map((c) => (c > 0 ? -c : INT64_MAX));
    return [g.op("Slice", [inputs[0]!.name, g.ints(`${base}/starts`, [top, left]), g.ints(`${base}/ends`, ends), g.ints(`${base}/axes`, axes)], `${base}/crop`)];
  },
};

/**
 * UpSampling2D as Resize on channels-first data. tfjs resizes with `alignCorners` and
 * `halfPixelCenters` off: ONNX's `asymmetric` coordinates (nearest rounds down).
 */
const upSampling2d: LayerTranslator = {
  check: (_layer, config) => (config.interpolation === undefined || config.interpolation === "nearest" || config.interpolation === "bilinear" ? undefined : `interpolation ${String(config.interpolation)}`),
  async translate(g, { config, inputs, base }) {
    const size = [config.size ?? 2].flat().map(Number);
    const [sh, sw] = size.length === 1 ? [size[0]!, size[0]!] : [size[0]!, size[1]!];
    const scales = g.constant(`${base}/scales`, [4], Float32Array.of(1, 1, sh, sw));
    const attrs = [
      { name: "mode", type: "string", value: config.interpolation === "bilinear" ? "linear" : "nearest" } as const,
      { name: "coordinate_transformation_mode", type: "string", value: "asymmetric" } as const,
      { name: "nearest_mode", type: "string", value: "floor" } as const,
    ];
    const y = await inChannelsFirst(g, inputs[0]!.name, 4, isChannelsFirst(config), base, (v) => g.op("Resize", [v, "", scales], `${base}/resize`, attrs));
    return [y];
  },
};

/** ZeroPadding2D, Cropping2D, UpSampling2D. */
export const SPATIAL_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  ZeroPadding2D: zeroPadding2d,
  Cropping2D: cropping2d,
  UpSampling2D: upSampling2d,
};

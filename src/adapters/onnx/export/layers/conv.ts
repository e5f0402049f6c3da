import type { AttributeSpec } from "../../model-writer.js";
import type { ExportGraph, LayerCall, LayerTranslator, Weight } from "../graph.js";
import { dilationProblem, inChannelsFirst, isChannelsFirst, paddingAttributes, spatialDims, windowOf, type Window } from "../layout.js";
import { permuteWeight } from "../weights.js";
import { activationEmitter } from "../../tfjs-activations.js";
import { activationProblem } from "./core.js";

function windowAttributes(w: Window): AttributeSpec[] {
  return [
    { name: "kernel_shape", type: "ints", value: w.kernel },
    { name: "strides", type: "ints", value: w.strides },
    { name: "dilations", type: "ints", value: w.dilations },
  ];
}

/** tfjs kernel [...spatial, in, out] → ONNX [out, in, ...spatial]. */
function onnxKernel(w: Weight): { dims: number[]; data: Float32Array } {
  const n = w.shape.length - 2;
  return permuteWeight(w, [n + 1, n, ...Array.from({ length: n }, (_, i) => i)]);
}

/** Conv1D / Conv2D: one ONNX Conv (bias included) between layout transposes, then the activation. */
function conv(n: number): LayerTranslator {
  return {
    check(layer, config) {
      // tfjs cannot run `causal` padding itself (conv1dWithBias throws), so there is nothing to match.
      if (config.padding === "causal") return "padding causal (not implemented by tfjs)";
      // tfjs's Conv1D returns channels-last data for channelsFirst input, unlike the output shape it declares.
      if (n === 1 && isChannelsFirst(config, layer)) return "dataFormat channelsFirst (tfjs returns channels-last data for it)";
      return activationProblem(config);
    },
    async translate(g, call) {
      const { layer, config, inputs, base } = call;
      const x = inputs[0]!;
      const cf = isChannelsFirst(config, layer);
      const w = windowOf(call, n, "kernelSize");
      const kernel = await g.weight(layer, 0, n + 2, "kernel");
      const convInputs = [g.layerConstant(layer, "kernel", () => onnxKernel(kernel))];
      if (config.useBias !== false) {
        const bias = await g.weight(layer, 1, 1, "bias");
        convInputs.push(g.layerConstant(layer, "bias", () => ({ dims: bias.shape, data: bias.data })));
      }
      const attrs = [...windowAttributes(w), ...paddingAttributes(config.padding, spatialDims(x.shape, cf), w)];
      const y = await inChannelsFirst(g, x.name, n + 2, cf, base, (v) => g.op("Conv", [v, ...convInputs], `${base}/conv`, attrs));
      return [activationEmitter(config.activation ?? "linear")!(g, y, base)];
    },
  };
}

/** DepthwiseConv2D as a grouped Conv: tfjs [kh, kw, C, m] → ONNX [C·m, 1, kh, kw] (output channel c·m + j). */
async function depthwise(g: ExportGraph, call: LayerCall, x: string, kernel: Weight, bias: string | undefined): Promise<string> {
  const { layer, config, inputs, base } = call;
  const cf = isChannelsFirst(config);
  const w = windowOf(call, 2, "kernelSize");
  const [kh, kw, channels, multiplier] = kernel.shape as [number, number, number, number];
  const W = g.layerConstant(layer, "depthwise_kernel", () => ({ dims: [channels * multiplier, 1, kh, kw], data: permuteWeight(kernel, [2, 3, 0, 1]).data }));
  const attrs = [...windowAttributes(w), ...paddingAttributes(config.padding, spatialDims(inputs[0]!.shape, cf), w), { name: "group", type: "int", value: channels } as const];
  return g.op("Conv", [x, W, ...(bias ? [bias] : [])], `${base}/depthwise`, attrs);
}

const depthwiseConv2d: LayerTranslator = {
  // tfjs's DepthwiseConv2D ignores dilationRate (it convolves undilated), so a dilated export could not match predict.
  check: (_layer, config) => (dilationProblem(config) ? `${dilationProblem(config)!} (ignored by tfjs's DepthwiseConv2D)` : activationProblem(config)),
  async translate(g, call) {
    const { layer, config, inputs, base } = call;
    const kernel = await g.weight(layer, 0, 4, "depthwise kernel");
    let bias: string | undefined;
    if (config.useBias !== false) {
      const b = await g.weight(layer, 1, 1, "bias");
      bias = g.layerConstant(layer, "bias", () => ({ dims: b.shape, data: b.data }));
    }
    const y = await inChannelsFirst(g, inputs[0]!.name, 4, isChannelsFirst(config), base, (v) => depthwise(g, call, v, kernel, bias));
    return [activationEmitter(config.activation ?? "linear")!(g, y, base)];
  },
};

const separableConv2d: LayerTranslator = {
  // tfjs's own predict fails on channelsFirst (its bias is broadcast channels-last), so there is nothing to match.
  check: (_layer, config) => (isChannelsFirst(config) ? "dataFormat channelsFirst (tfjs cannot run it)" : activationProblem(config)),
  async translate(g, call) {
    const { layer, config, inputs, base } = call;
    const kernel = await g.weight(layer, 0, 4, "depthwise kernel");
    const pointwise = await g.weight(layer, 1, 4, "pointwise kernel");
    const P = g.layerConstant(layer, "pointwise_kernel", () => onnxKernel(pointwise));
    const pointInputs = [P];
    if (config.useBias !== false) {
      const b = await g.weight(layer, 2, 1, "bias");
      pointInputs.push(g.layerConstant(layer, "bias", () => ({ dims: b.shape, data: b.data })));
    }
    const y = await inChannelsFirst(g, inputs[0]!.name, 4, isChannelsFirst(config), base, async (v) =>
      g.op("Conv", [await depthwise(g, call, v, kernel, undefined), ...pointInputs], `${base}/pointwise`, [{ name: "kernel_shape", type: "ints", value: [1, 1] }]),
    );
    return [activationEmitter(config.activation ?? "linear")!(g, y, base)];
  },
};

/**
 * Conv2DTranspose as ConvTranspose. tfjs kernel [kh, kw, out, in] → ONNX [in, out, kh, kw].
 * tfjs's output size is `in·s` (same) or `in·s + max(k − s, 0)` (valid); the ONNX pads and
 * `output_padding` that give it do not depend on the input size.
 */
const conv2dTranspose: LayerTranslator = {
  check: (_layer, config) => dilationProblem(config) ?? activationProblem(config),
  async translate(g, call) {
    const { layer, config, inputs, base } = call;
    const w = windowOf({ config: { ...config, dilationRate: 1 }, base }, 2, "kernelSize");
    const kernel = await g.weight(layer, 0, 4, "kernel");
    const convInputs = [g.layerConstant(layer, "kernel", () => permuteWeight(kernel, [3, 2, 0, 1]))];
    if (config.useBias !== false) {
      const b = await g.weight(layer, 1, 1, "bias");
      convInputs.push(g.layerConstant(layer, "bias", () => ({ dims: b.shape, data: b.data })));
    }
    const before: number[] = [];
    const after: number[] = [];
    const outputPadding: number[] = [];
    w.kernel.forEach((k, i) => {
      const s = w.strides[i]!;
      const total = config.padding === "same" ? Math.max(k - s, 0) : 0;
      before.push(Math.floor(total / 2));
      after.push(total - Math.floor(total / 2));
      outputPadding.push(Math.max(s - k, 0));
    });
    const attrs: AttributeSpec[] = [
      { name: "kernel_shape", type: "ints", value: w.kernel },
      { name: "strides", type: "ints", value: w.strides },
      { name: "pads", type: "ints", value: [...before, ...after] },
      { name: "output_padding", type: "ints", value: outputPadding },
    ];
    const y = await inChannelsFirst(g, inputs[0]!.name, 4, isChannelsFirst(config), base, (v) => g.op("ConvTranspose", [v, ...convInputs], `${base}/conv_transpose`, attrs));
    return [activationEmitter(config.activation ?? "linear")!(g, y, base)];
  },
};

/** Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D. */
export const CONV_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  Conv1D: conv(1),
  Conv2D: conv(2),
  Conv2DTranspose: conv2dTranspose,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
};

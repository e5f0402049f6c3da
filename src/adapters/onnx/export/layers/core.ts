import { activationEmitter } from "../../tfjs-activations.js";
import type { LayerTranslator } from "../graph.js";

/** The activation problem of a config's `activation`, for `check`. */
export function activationProblem(config: Record<string, unknown>, key = "activation"): string | undefined {
  const name = config[key] ?? "linear";
  return activationEmitter(name) ? undefined : `activation ${String(name)}`;
}

const dense: LayerTranslator = {
  check: (_layer, config) => activationProblem(config),
  async translate(g, { layer, config, inputs, base }) {
    const useBias = config.useBias !== false;
    const kernel = await g.weight(layer, 0, 2, "kernel");
    const W = g.layerConstant(layer, "kernel", () => ({ dims: kernel.shape, data: kernel.data }));
    let y = g.op("MatMul", [inputs[0]!.name, W], `${base}/matmul`);
    if (useBias) {
      const bias = await g.weight(layer, 1, 1, "bias");
      y = g.op("Add", [y, g.layerConstant(layer, "bias", () => ({ dims: bias.shape, data: bias.data }))], `${base}/bias_add`);
    }
    return [activationEmitter(config.activation ?? "linear")!(g, y, base)];
  },
};

const activation: LayerTranslator = {
  check: (_layer, config) => activationProblem(config),
  translate: (g, { config, inputs, base }) => [activationEmitter(config.activation ?? "linear")!(g, inputs[0]!.name, base)],
};

/** Layers that only act while training: identities at inference. */
const identity: LayerTranslator = { translate: (_g, { inputs }) => [inputs[0]!.name] };

const flatten: LayerTranslator = {
  translate(g, { config, inputs, base }) {
    const rank = inputs[0]!.shape.length;
    let x = inputs[0]!.name;
    if (config.dataFormat === "channelsFirst" && rank > 2) {
      // tfjs moves channels last before flattening (keras' `channels_first` Flatten).
      x = g.transpose(x, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1], `${base}/transpose`);
    }
    return [g.op("Flatten", [x], `${base}/flatten`, [{ name: "axis", type: "int", value: 1 }])];
  },
};

const reshape: LayerTranslator = {
  translate(g, { config, inputs, base }) {
    const target = (config.targetShape as number[]).map((d) => (d === null ? -1 : d));
    return [g.reshape(inputs[0]!.name, [0, ...target], `${base}/reshape`)];
  },
};

const permute: LayerTranslator = {
  translate: (g, { config, inputs, base }) => [g.transpose(inputs[0]!.name, [0, ...(config.dims as number[])], `${base}/permute`)],
};

const repeatVector: LayerTranslator = {
  translate(g, { config, inputs, base }) {
    const x = g.unsqueeze(inputs[0]!.name, [1], `${base}/unsqueeze`);
    return [g.op("Tile", [x, g.ints(`${base}/repeats`, [1, Number(config.n), 1])], `${base}/tile`)];
  },
};

/** Rescaling (a preprocessing layer): `x · scale + offset`, int inputs cast to float first as tfjs does. */
const rescaling: LayerTranslator = {
  translate(g, { config, inputs, base }) {
    const x = g.op("Cast", [inputs[0]!.name], `${base}/to_float`, [{ name: "to", type: "int", value: 1 }]);
    const scaled = g.op("Mul", [x, g.scalar(`${base}/scale`, Number(config.scale))], `${base}/scale`);
    return [g.op("Add", [scaled, g.scalar(`${base}/offset`, Number(config.offset ?? 0))], `${base}/offset`)];
  },
};

/** Dense, Activation, Flatten, Reshape, Permute, RepeatVector, Rescaling and the training-only layers. */
export const CORE_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  Dense: dense,
  Activation: activation,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  RepeatVector: repeatVector,
  Rescaling: rescaling,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};

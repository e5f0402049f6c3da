import type { AttributeSpec } from "../../model-writer.js";
import type { TfjsLayerLike } from "../../tfjs-model.js";
import type { ExportGraph, LayerTranslator, Weight } from "../graph.js";

/** tfjs activation names and the ONNX recurrent-op activation each one is. */
const RNN_ACTIVATIONS: Readonly<Record<string, string>> = {
  tanh: "Tanh",
  sigmoid: "Sigmoid",
  // ONNX HardSigmoid's defaults (alpha 0.2, beta 0.5) are tfjs's clip(0.2x + 0.5, 0, 1).
  hardSigmoid: "HardSigmoid",
  relu: "Relu",
  softsign: "Softsign",
  softplus: "Softplus",
};

interface Cell {
  /** ONNX op. */
  opType: "RNN" | "GRU" | "LSTM";
  /** For each ONNX gate, the index of the tfjs gate (tfjs LSTM is i, f, c, o; ONNX i, o, f, c). */
  gateOrder: readonly number[];
  /** ONNX `activations`: which tfjs config keys, in ONNX order. */
  activationKeys: ReadonlyArray<"activation" | "recurrentActivation">;
  /** Number of state outputs (`returnState`). */
  states: number;
}

const CELLS: Readonly<Record<string, Cell>> = {
  SimpleRNN: { opType: "RNN", gateOrder: [0], activationKeys: ["activation"], states: 1 },
  // tfjs's GRU has no reset_after: ONNX linear_before_reset = 0 (the default) is its formula.
  GRU: { opType: "GRU", gateOrder: [0, 1, 2], activationKeys: ["recurrentActivation", "activation"], states: 1 },
  LSTM: { opType: "LSTM", gateOrder: [0, 3, 1, 2], activationKeys: ["recurrentActivation", "activation", "activation"], states: 2 },
};

const DEFAULT_ACTIVATIONS = { activation: "tanh", recurrentActivation: "hardSigmoid" } as const;

function activationName(config: Record<string, unknown>, key: "activation" | "recurrentActivation"): unknown {
  return config[key] ?? DEFAULT_ACTIVATIONS[key];
}

/** Why an RNN layer cannot be exported, or `undefined`. */
function recurrentProblem(layer: TfjsLayerLike, config: Record<string, unknown>): string | undefined {
  const cell = CELLS[layer.getClassName()];
  if (!cell) return "layer class";
  if (config.stateful === true) return "stateful (state kept between predict calls)";
  if ((layer.inboundNodes ?? []).some((n) => n.inputTensors.length > 1)) return "initialState inputs";
  for (const key of new Set(cell.activationKeys)) {
    const name = activationName(config, key);
    if (typeof name !== "string" || !Object.hasOwn(RNN_ACTIVATIONS, name)) return `${key} ${String(name)} (recurrent activations: ${Object.keys(RNN_ACTIVATIONS).join(", ")})`;
  }
  return undefined;
}

/** Rows `[gate·units, (gate+1)·units)` of the ONNX matrix are the tfjs gate's columns, transposed. */
function gateMatrix(w: Weight, units: number, gateOrder: readonly number[]): { dims: number[]; data: Float32Array } {
  const [rows, cols] = w.shape as [number, number];
  const out = new Float32Array(rows * cols);
  gateOrder.forEach((k, gate) => {
    for (let u = 0; u < units; u++) {
      for (let r = 0; r < rows; r++) out[(gate * units + u) * rows + r] = w.data[r * cols + k * units + u]!;
    }
  });
  return { dims: [1, cols, rows], data: out };
}

/** ONNX B = [Wb, Rb]: tfjs's one bias goes to Wb (gates reordered), Rb is zero. */
function gateBias(bias: Weight | undefined, units: number, gateOrder: readonly number[]): { dims: number[]; data: Float32Array } {
  const out = new Float32Array(2 * gateOrder.length * units);
  if (bias) gateOrder.forEach((k, gate) => out.set(bias.data.subarray(k * units, (k + 1) * units), gate * units));
  return { dims: [1, out.length], data: out };
}

/**
 * One recurrent layer over `x` ([batch, time, features]). Returns tfjs's outputs: the
 * sequence [batch, time, units] (`returnSequences`) or the last output [batch, units], then the
 * states with `returnState`. `goBackwards` feeds the reversed sequence, as tfjs does (and
 * returns the outputs in that reversed order, as tfjs does).
 */
export async function recurrent(g: ExportGraph, layer: TfjsLayerLike, x: string, base: string): Promise<string[]> {
  const config = layer.getConfig();
  const cell = CELLS[layer.getClassName()]!;
  const units = Number(config.units);
  const weights = await g.weights(layer);
  const kernel = weights[0]!;
  const recurrentKernel = weights[1]!;
  const bias = config.useBias !== false ? weights[2] : undefined;
  const W = g.layerConstant(layer, "W", () => gateMatrix(kernel, units, cell.gateOrder));
  const R = g.layerConstant(layer, "R", () => gateMatrix(recurrentKernel, units, cell.gateOrder));
  const B = g.layerConstant(layer, "B", () => gateBias(bias, units, cell.gateOrder));
  let timeMajor = g.transpose(x, [1, 0, 2], `${base}/time_major`);
  if (config.goBackwards === true) timeMajor = g.reverse(timeMajor, 0, `${base}/reverse_input`);
  const attrs: AttributeSpec[] = [
    { name: "hidden_size", type: "int", value: units },
    { name: "activations", type: "strings", value: cell.activationKeys.map((k) => RNN_ACTIVATIONS[activationName(config, k) as string]!) },
  ];
  const [Y, ...states] = g.opMulti(cell.opType, [timeMajor, W, R, B], `${base}/${cell.opType.toLowerCase()}`, 1 + cell.states, attrs);
  const output =
    config.returnSequences === true
      ? g.transpose(g.squeeze(Y!, [1], `${base}/squeeze_dir`), [1, 0, 2], `${base}/batch_major`)
      : g.squeeze(states[0]!, [0], `${base}/last`);
  if (config.returnState !== true) return [output];
  return [output, ...states.map((s, i) => g.squeeze(s, [0], `${base}/state${i}`))];
}

function recurrentLayer(): LayerTranslator {
  return {
    check: recurrentProblem,
    translate: (g, { layer, inputs, base }) => recurrent(g, layer, inputs[0]!.name, base),
  };
}

/**
 * Bidirectional: the forward and backward layers as two ONNX ops; the backward sequence is
 * put back in time order (as tfjs does) before the merge.
 */
const bidirectional: LayerTranslator = {
  check(layer, config) {
    const forward = layer.forwardLayer;
    const backward = layer.backwardLayer;
    if (!forward || !backward) return "no forward/backward layer";
    const problem = recurrentProblem(forward, forward.getConfig()) ?? recurrentProblem(backward, backward.getConfig());
    if (problem) return `${forward.getClassName()} ${problem}`;
    if (forward.getConfig().returnState === true) return "returnState";
    const merge = config.mergeMode;
    return merge === undefined || merge === null || ["concat", "sum", "mul", "ave"].includes(String(merge)) ? undefined : `mergeMode ${String(merge)}`;
  },
  async translate(g, { layer, config, inputs, base }) {
    const x = inputs[0]!.name;
    const [forward] = await recurrent(g, layer.forwardLayer!, x, `${base}/forward`);
    let [backward] = await recurrent(g, layer.backwardLayer!, x, `${base}/backward`);
    if (layer.forwardLayer!.getConfig().returnSequences === true) backward = g.reverse(backward!, 1, `${base}/backward_in_time_order`);
    return merge(g, config.mergeMode, forward!, backward!, base);
  },
};

function merge(g: ExportGraph, mode: unknown, forward: string, backward: string, base: string): string[] {
  switch (mode) {
    case "sum":
      return [g.op("Add", [forward, backward], `${base}/sum`)];
    case "mul":
      return [g.op("Mul", [forward, backward], `${base}/mul`)];
    case "ave":
      return [g.op("Mul", [g.op("Add", [forward, backward], `${base}/sum`), g.scalar(`${base}/half`, 0.5)], `${base}/ave`)];
    case null:
      return [forward, backward];
    default:
      return [g.op("Concat", [forward, backward], `${base}/concat`, [{ name: "axis", type: "int", value: -1 }])];
  }
}

/** SimpleRNN, GRU, LSTM, Bidirectional. */
export const RECURRENT_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  SimpleRNN: recurrentLayer(),
  GRU: recurrentLayer(),
  LSTM: recurrentLayer(),
  Bidirectional: bidirectional,
};

import type { ExportGraph, LayerTranslator, Value } from "../graph.js";
import { positiveAxis } from "../graph.js";

/** An elementwise merge: one variadic ONNX op, or a chain of a binary one. (tfjs has no Subtract layer.) */
function elementwise(opType: string, variadic: boolean): LayerTranslator {
  return {
    translate(g, { inputs, base }) {
      const names = inputs.map((v) => v.name);
      if (variadic) return [g.op(opType, names, `${base}/${opType.toLowerCase()}`)];
      let y = names[0]!;
      for (const next of names.slice(1)) y = g.op(opType, [y, next], `${base}/${opType.toLowerCase()}`);
      return [y];
    },
  };
}

const concatenate: LayerTranslator = {
  translate(g, { config, inputs, base }) {
    const axis = positiveAxis(Number(config.axis ?? -1), inputs[0]!.shape.length);
    return [g.op("Concat", inputs.map((v) => v.name), `${base}/concat`, [{ name: "axis", type: "int", value: axis }])];
  },
};

// tfjs-layers `l2Normalize`: x / sqrt(max(sum(x²), epsilon())) with epsilon() = 1e-7.
function l2Normalize(g: ExportGraph, x: string, axis: number, base: string): string {
  const sumSq = g.op("ReduceSum", [g.op("Mul", [x, x], `${base}/sq`), g.ints(`${base}/axes`, [axis])], `${base}/sum_sq`, [{ name: "keepdims", type: "int", value: 1 }]);
  const norm = g.op("Sqrt", [g.op("Max", [sumSq, g.scalar(`${base}/eps`, 1e-7)], `${base}/clamp`)], `${base}/norm`);
  return g.op("Div", [x, norm], `${base}/normalized`);
}

/** tfjs `Dot` (keras `batch_dot`) for two rank-2 or two rank-3 inputs. */
const dot: LayerTranslator = {
  check(layer) {
    const ranks = (layer.inboundNodes ?? []).flatMap((n) => n.inputTensors.map((t) => t.shape.length));
    return ranks.every((r) => r === ranks[0]) && ranks.every((r) => r === 2 || r === 3) ? undefined : `inputs of rank ${ranks.join(", ")} (two rank-2 or two rank-3 inputs are exported)`;
  },
  translate(g, { config, inputs, base }) {
    const [a, b] = inputs as readonly [Value, Value];
    const rank = a.shape.length;
    const axes = (Array.isArray(config.axes) ? config.axes : [config.axes, config.axes]).map((x) => positiveAxis(Number(x), rank)) as [number, number];
    let x = a.name;
    let y = b.name;
    if (config.normalize === true) {
      x = l2Normalize(g, x, axes[0], `${base}/l2_a`);
      y = l2Normalize(g, y, axes[1], `${base}/l2_b`);
    }
    if (rank === 2) {
      return [g.op("ReduceSum", [g.op("Mul", [x, y], `${base}/mul`), g.ints(`${base}/axes`, [1])], `${base}/dot`, [{ name: "keepdims", type: "int", value: 1 }])];
    }
    // [b, n, k] · [b, k, m]: move each contracted axis into MatMul's place.
    if (axes[0] === 1) x = g.transpose(x, [0, 2, 1], `${base}/transpose_a`);
    if (axes[1] === 2) y = g.transpose(y, [0, 2, 1], `${base}/transpose_b`);
    return [g.op("MatMul", [x, y], `${base}/dot`)];
  },
};

/** Concatenate, Add, Multiply, Average, Maximum, Minimum, Dot. */
export const MERGE_LAYERS: Readonly<Record<string, LayerTranslator>> = {
  Concatenate: concatenate,
  Add: elementwise("Sum", true),
  Multiply: elementwise("Mul", false),
  Average: elementwise("Mean", true),
  Maximum: elementwise("Max", true),
  Minimum: elementwise("Min", true),
  Dot: dot,
};

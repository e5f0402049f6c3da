import type { LayerTranslator } from "../graph.js";
import { isNestedModel } from "../walk.js";

/**
 * TimeDistributed: the wrapped layer runs on `[batch·time, …]` (a Reshape merges the two
 * leading dims) and its result is split back into `[batch, time, …]` from the input's
 * run-time shape, so batch and time may both stay symbolic.
 */
const timeDistributed: LayerTranslator = {
  check(layer, _config, translators) {
    const inner = layer.layer;
    if (!inner) return "no wrapped layer";
    const translator = translators[inner.getClassName()];
    if (!translator || isNestedModel(inner)) return `wrapped ${inner.getClassName()} (layer class)`;
    const problem = translator.check?.(inner, inner.getConfig(), translators);
    if (problem) return `wrapped ${inner.getClassName()} (${problem})`;
    const unknown = (layer.inboundNodes ?? []).some((n) => n.inputTensors.some((t) => t.shape.slice(2).includes(null)));
    return unknown ? "input dims after the time dim unknown" : undefined;
  },
  async translate(g, { layer, inputs, outputShapes, base, translators }) {
    const inner = layer.layer!;
    const x = inputs[0]!;
    const rest = x.shape.slice(2) as number[];
    const outRest = outputShapes[0]!.slice(2) as number[];
    const merged = g.reshape(x.name, [-1, ...rest], `${base}/merge_time`);
    const [y] = await translators[inner.getClassName()]!.translate(g, {
      layer: inner,
      config: inner.getConfig(),
      inputs: [{ name: merged, shape: [null, ...rest] }],
      outputShapes: [[null, ...outRest]],
      base: `${base}/${inner.name}`,
      translators,
    });
    const batchTime = g.op("Slice", [g.op("Shape", [x.name], `${base}/shape`), g.ints(`${base}/from`, [0]), g.ints(`${base}/to`, [2])], `${base}/batch_time`);
    const target = g.op("Concat", [batchTime, g.ints(`${base}/rest`, outRest)], `${base}/target_shape`, [{ name: "axis", type: "int", value: 0 }]);
    return [g.op("Reshape", [y!, target], `${base}/split_time`)];
  },
};

/** TimeDistributed (Bidirectional lives with the recurrent layers). */
export const WRAPPER_LAYERS: Readonly<Record<string, LayerTranslator>> = { TimeDistributed: timeDistributed };

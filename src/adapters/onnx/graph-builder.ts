import type { AttributeSpec, NodeSpec, TensorSpec } from "./model-writer.js";

/** Collects nodes and initializers with unique value names while a graph is translated. */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorSpec[] = [];
  private readonly used = new Set<string>();

  /** A fresh value name based on `base` (`dense/kernel` → `dense/kernel`, then `dense/kernel_1` …). */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Reserves a name that must stay exactly as given (graph inputs and outputs). */
  reserve(name: string): string {
    this.used.add(name);
    return name;
  }

  /** Adds a float32 constant and returns its name. */
  constant(base: string, dims: readonly number[], data: Float32Array): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** Adds an int64 constant (shapes, axes, pads …) and returns its name. */
  ints(base: string, values: readonly number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) });
    return name;
  }

  /** A float32 scalar constant. */
  scalar(base: string, value: number): string {
    return this.constant(base, [], Float32Array.of(value));
  }

  /** Adds one node with `count` outputs and returns their names (`""` in `inputs` skips an optional input). */
  opMulti(opType: string, inputs: readonly string[], base: string, count: number, attributes: readonly AttributeSpec[] = []): string[] {
    const outputs = Array.from({ length: count }, (_, i) => this.unique(i === 0 ? base : `${base}_out${i}`));
    this.nodes.push({ opType, inputs, outputs, name: outputs[0]!, ...(attributes.length > 0 && { attributes }) });
    return outputs;
  }

  /** Adds one node with a single output and returns that output's name. */
  op(opType: string, inputs: readonly string[], base: string, attributes: readonly AttributeSpec[] = []): string {
    const output = this.unique(base);
    this.nodes.push({ opType, inputs, outputs: [output], name: output, ...(attributes.length > 0 && { attributes }) });
    return output;
  }
}

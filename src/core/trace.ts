import { InvalidValueError } from "./errors.js";
import { show } from "./validate.js";

/** `V1EventSpanKind`. */
export type SpanKind = "llm" | "chain" | "agent" | "tool" | "embedding" | "retriever";

/** `V1EventSpan`: one step of a trace (an LLM call, a chain, a tool…), with its child spans. */
export interface SpanValue {
  uuid?: string;
  /** Also the event stream's name (default `"trace"`). */
  name?: string;
  tags?: string[];
  started_at?: Date | string;
  finished_at?: Date | string;
  /** A Polyaxon status such as `"succeeded"` or `"failed"`. */
  status?: string;
  status_conditions?: Array<Record<string, unknown>>;
  metadata?: Record<string, unknown>;
  /** Merged into the run's inputs by `logTrace`, as Polyaxon's `log_trace`. */
  inputs?: Record<string, unknown>;
  /** Merged into the run's outputs by `logTrace`. */
  outputs?: Record<string, unknown>;
  children?: SpanValue[];
  kind?: SpanKind;
}

/** Field order of `V1EventSpan`, which is also its JSON key order. */
const SPAN_FIELDS = ["uuid", "name", "tags", "started_at", "finished_at", "status", "status_conditions", "metadata", "inputs", "outputs", "children", "kind"] as const;
const KINDS = new Set(["llm", "chain", "agent", "tool", "embedding", "retriever"]);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * A span as `V1EventSpan` serialises it: declared field order, unset fields left out, children
 * checked the same way. @throws InvalidValueError naming the bad field (unknown fields included).
 */
export function spanValue(span: unknown, where = "span"): Record<string, unknown> {
  if (!isObject(span)) throw new InvalidValueError(`logTrace: ${where} must be an object (V1EventSpan), got ${show(span)}.`, span);
  for (const k of Object.keys(span)) {
    if (!(SPAN_FIELDS as readonly string[]).includes(k)) {
      throw new InvalidValueError(`logTrace: ${where} has an unknown field ${JSON.stringify(k)}; V1EventSpan has ${SPAN_FIELDS.join(", ")}.`, k);
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of SPAN_FIELDS) {
    const v = span[k];
    if (v === undefined || v === null) continue;
    const bad = (what: string): never => {
      throw new InvalidValueError(`logTrace: ${where}.${k} must be ${what} (got ${show(v)}).`, v);
    };
    if ((k === "uuid" || k === "name" || k === "status") && typeof v !== "string") bad("a string");
    if (k === "tags" && !(Array.isArray(v) && v.every((t) => typeof t === "string"))) bad("an array of strings");
    if ((k === "started_at" || k === "finished_at") && !(typeof v === "string" || (v instanceof Date && !Number.isNaN(v.getTime())))) bad("a Date or an ISO string");
    if ((k === "metadata" || k === "inputs" || k === "outputs") && !isObject(v)) bad("an object");
    if (k === "status_conditions" && !(Array.isArray(v) && v.every(isObject))) bad("an array of objects");
    if (k === "kind" && !KINDS.has(v as string)) bad(`one of ${[...KINDS].join(", ")}`);
    if (k === "children") {
      if (!Array.isArray(v)) bad("an array of spans");
      out[k] = (v as unknown[]).map((c, i) => spanValue(c, `${where}.children[${i}]`));
      continue;
    }
    out[k] = v;
  }
  return out;
}

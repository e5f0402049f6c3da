import { InvalidQueryError } from "../errors.js";
import type { RunSummary } from "./summary.js";

/**
 * How a field of a run is queried, after Polyaxon's run query manager (`PARSERS_BY_FIELD` and
 * `CONDITIONS_BY_FIELD`): `search` (uuid, name: `=`, `|`, `%like%`), `value` (status, project:
 * `=`, `|`), `tags` (contains one, or any of `a|b`), `datetime` (comparisons and `a..b`, no `|`),
 * `scalar` (duration, metrics: numeric comparisons, no `|` or `..`), `json` (inputs, outputs:
 * equality, `|` and comparisons on JSON values).
 */
export type FieldType = "search" | "value" | "tags" | "datetime" | "scalar" | "json";

/** A field named in a query or sort: one of the fixed fields, or `inputs.<key>`, `outputs.<key>`, `metrics.<name>`. */
export interface FieldRef {
  /** The field as written. */
  text: string;
  base: "uuid" | "name" | "project" | "status" | "tags" | "created_at" | "started_at" | "finished_at" | "duration" | "inputs" | "outputs" | "metrics";
  key?: string;
  type: FieldType;
}

const PLAIN: Record<string, { base: FieldRef["base"]; type: FieldType }> = {
  uuid: { base: "uuid", type: "search" },
  id: { base: "uuid", type: "search" },
  uid: { base: "uuid", type: "search" },
  name: { base: "name", type: "search" },
  project: { base: "project", type: "value" },
  status: { base: "status", type: "value" },
  tags: { base: "tags", type: "tags" },
  created_at: { base: "created_at", type: "datetime" },
  started_at: { base: "started_at", type: "datetime" },
  finished_at: { base: "finished_at", type: "datetime" },
  duration: { base: "duration", type: "scalar" },
};

const KEYED: Record<string, { base: FieldRef["base"]; type: FieldType }> = {
  inputs: { base: "inputs", type: "json" },
  params: { base: "inputs", type: "json" },
  in: { base: "inputs", type: "json" },
  outputs: { base: "outputs", type: "json" },
  out: { base: "outputs", type: "json" },
  metrics: { base: "metrics", type: "scalar" },
};

/** What the error messages list as allowed fields. */
export const ALLOWED_FIELDS =
  "uuid, name, project, status, tags, created_at, started_at, finished_at, duration, inputs.<key>, outputs.<key>, metrics.<name> (aliases: id, uid, params.<key>, in.<key>, out.<key>)";

/**
 * Resolves a field name. `where` is put in front of the error message.
 * @throws InvalidQueryError naming the allowed fields.
 */
export function resolveField(text: string, where: string, whole: string): FieldRef {
  const dot = text.indexOf(".");
  if (dot < 0) {
    const f = Object.hasOwn(PLAIN, text) ? PLAIN[text] : undefined;
    if (f) return { text, ...f };
    if (Object.hasOwn(KEYED, text)) throw new InvalidQueryError(`${where}: field "${text}" needs a key, e.g. ${text}.lr.`, whole);
  } else {
    const head = text.slice(0, dot);
    const key = text.slice(dot + 1);
    const f = Object.hasOwn(KEYED, head) ? KEYED[head] : undefined;
    if (f && key.length > 0 && !key.includes(".")) return { text, ...f, key };
  }
  throw new InvalidQueryError(`${where}: unknown field "${text}"; fields are ${ALLOWED_FIELDS}.`, whole);
}

/** Epoch ms of an ISO time, or undefined. */
export function timeMs(iso: string | null): number | undefined {
  if (iso === null) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The value of a field of a run, `undefined` when the run has none. Times are epoch ms; a
 * metric whose last value is NaN counts as absent (it can neither be compared nor ranked).
 */
export function fieldValue(run: RunSummary, f: FieldRef): unknown {
  switch (f.base) {
    case "uuid":
      return run.uuid;
    case "name":
      return run.name ?? undefined;
    case "project":
      return run.project ?? undefined;
    case "status":
      return run.status ?? undefined;
    case "tags":
      return run.tags;
    case "created_at":
      return timeMs(run.createdAt);
    case "started_at":
      return timeMs(run.startedAt);
    case "finished_at":
      return timeMs(run.finishedAt);
    case "duration":
      return run.duration ?? undefined;
    case "inputs":
    case "outputs": {
      const dict = f.base === "inputs" ? run.inputs : run.outputs;
      const v = Object.hasOwn(dict, f.key!) ? dict[f.key!] : undefined;
      return v === null ? undefined : v; // a JSON null is no value, as Polyaxon's `nil` treats it
    }
    case "metrics": {
      const m = Object.hasOwn(run.metrics, f.key!) ? run.metrics[f.key!] : undefined;
      return m === undefined || Number.isNaN(m.value) ? undefined : m.value;
    }
  }
}

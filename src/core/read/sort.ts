import { InvalidQueryError } from "../errors.js";
import { fieldValue, resolveField, type FieldRef } from "./fields.js";
import type { RunSummary } from "./summary.js";

/** One term of a sort: a field, descending when written `-field`. */
export interface SortKey {
  field: FieldRef;
  desc: boolean;
}

/** The order when no sort is given: newest first, as `runtrail ls` always listed. */
export const DEFAULT_SORT = "-created_at";

/**
 * Parses a sort as `polyaxon ops ls -s` takes it: comma-separated fields, `-` in front for
 * descending (`-metrics.val_acc, created_at`). Every query field except `tags` can be sorted on.
 * @throws InvalidQueryError saying which term is wrong and what is allowed.
 */
export function parseSort(sort: string | undefined): SortKey[] {
  const text = sort === undefined || sort.trim() === "" ? DEFAULT_SORT : sort;
  if (typeof text !== "string") throw new InvalidQueryError(`sort must be a string, got ${typeof text}.`, sort);
  return text.split(",").map((raw, i) => {
    const term = raw.trim();
    const where = `sort ${JSON.stringify(text)}, term ${i + 1}${term ? ` "${term}"` : ""}`;
    if (!term) throw new InvalidQueryError(`${where}: empty term; separate fields with single commas, e.g. "-metrics.acc, created_at".`, text);
    const desc = term.startsWith("-");
    const name = desc ? term.slice(1).trim() : term;
    const field = resolveField(name, where, text);
    if (field.base === "tags") throw new InvalidQueryError(`${where}: runs cannot be sorted by tags.`, text);
    return { field, desc };
  });
}

/** Values of different JSON types (inputs can mix them) rank numbers < text < booleans < the rest. */
function rank(v: unknown): number {
  return typeof v === "number" ? 0 : typeof v === "string" ? 1 : typeof v === "boolean" ? 2 : 3;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 3) {
    const sa = JSON.stringify(a);
    const sb = JSON.stringify(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  }
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}

/**
 * Compares two runs' values of one sort key: a run without the field (or with a NaN metric)
 * comes last in either direction, as Polyaxon's ordering puts nulls last.
 */
export function compareKey(k: SortKey, va: unknown, vb: unknown): number {
  if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
  const d = compareValues(va, vb);
  return k.desc ? -d : d;
}

/** Compares two runs by their values of the keys, in order (`a[i]`, `b[i]`: the values of `keys[i]`). */
export function compareKeyed(keys: SortKey[], a: unknown[], b: unknown[]): number {
  for (let i = 0; i < keys.length; i++) {
    const d = compareKey(keys[i]!, a[i], b[i]);
    if (d !== 0) return d;
  }
  return 0;
}

/** How runs equal on every key are ordered: by uuid, then by folder. */
export function tieBreak(uuidA: string, folderA: string, uuidB: string, folderB: string): number {
  return uuidA < uuidB ? -1 : uuidA > uuidB ? 1 : folderA < folderB ? -1 : folderA > folderB ? 1 : 0;
}

/** A comparator of run summaries for the keys (see {@link compareKeyed}, {@link tieBreak}). */
export function comparator(keys: SortKey[]): (a: RunSummary, b: RunSummary) => number {
  const values = (r: RunSummary): unknown[] => keys.map((k) => fieldValue(r, k.field));
  return (a, b) => compareKeyed(keys, values(a), values(b)) || tieBreak(a.uuid, a.path, b.uuid, b.path);
}

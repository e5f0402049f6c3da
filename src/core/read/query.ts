import { InvalidQueryError } from "../errors.js";
import { fieldValue, resolveField, type FieldRef, type FieldType } from "./fields.js";
import type { RunSummary } from "./summary.js";

/**
 * Polyaxon's query language (`polyaxon ops ls -q`), evaluated on run summaries.
 *
 * Grammar (as `polyaxon/_pql/grammar.py`): conditions `field:operation` joined by `,` or `AND`
 * (and), `OR` or a spaced ` | ` before a condition or `(` (or), grouped with parentheses; AND
 * binds tighter. The operation, per field type (`polyaxon/_pql/parser.py`, `builder.py`):
 * - `~` in front negates. `nil` matches a run without the field, `~nil` one with it.
 * - `a|b|c` (value, search, tags, inputs/outputs): any of the values.
 * - `<`, `<=`, `>`, `>=` (`=<`, `=>` too) for datetime, scalar and inputs/outputs fields.
 *   Negated they become the opposite comparison, so a run without the field never matches.
 * - `a..b` (datetime only): inclusive range.
 * - `%x%`, `x%`, `%x` (uuid, name): contains, starts with, ends with, case-insensitive.
 * - Otherwise equality. A datetime given as a date matches that UTC day; a date and time
 *   matches that minute; `last_month` means the last 30 days.
 * Negated equality, `|`, `..` and `%` match runs without the field too (SQL's NOT of Polyaxon).
 * Values are read as JSON when they parse (`0.01`, `true`, `"a b"`), else as text; text fields
 * (uuid, name, project, status, tags) compare as text. `field:_any_` is no condition.
 */
export type QueryNode = { all: QueryNode[] } | { any: QueryNode[] } | Condition | { always: true };

type Op = "nil" | "=" | "|" | "<" | "<=" | ">" | ">=" | ".." | "%%" | "_%" | "%_";

/** One parsed `field:operation`. */
export interface Condition {
  field: FieldRef;
  op: Op;
  negation: boolean;
  params: unknown;
}

const OPERATION_RE = /[^,()]+?(?=\s*(?:,|\s+AND\s|\s+AND$|\s+OR\s|\s+OR$|\s+\|\s+(?:\(|[a-zA-Z_][a-zA-Z0-9_.-]*:)|\)|\s*$))/iy;
const FIELD_RE = /[a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_-]+)?/y;
const AND_RE = /\s*(?:,|AND(?=[\s(]))\s*/iy;
const OR_RE = /\s*(?:OR(?=[\s(])|\|(?=\s*(?:\(|[a-zA-Z_][a-zA-Z0-9_.-]*\s*:)))\s*/iy;

class QueryParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): QueryNode {
    this.ws();
    const node = this.or();
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected ${JSON.stringify(this.s.slice(this.i, this.i + 12))}`);
    return node;
  }

  private or(): QueryNode {
    const parts = [this.and()];
    while (this.eat(OR_RE)) parts.push(this.and());
    return parts.length === 1 ? parts[0]! : { any: parts };
  }

  private and(): QueryNode {
    const parts = [this.primary()];
    while (this.eat(AND_RE)) parts.push(this.primary());
    return parts.length === 1 ? parts[0]! : { all: parts };
  }

  private primary(): QueryNode {
    this.ws();
    if (this.s[this.i] === "(") {
      this.i++;
      this.ws();
      const inner = this.or();
      this.ws();
      if (this.s[this.i] !== ")") this.fail(`")" expected`);
      this.i++;
      return inner;
    }
    const at = this.i;
    const field = this.eat(FIELD_RE);
    if (!field) this.fail("a condition field:operation expected (e.g. status:succeeded, metrics.loss:<0.1)");
    this.ws();
    if (this.s[this.i] !== ":") this.fail(`":" expected after the field "${field}"`);
    this.i++;
    this.ws();
    const operation = this.eat(OPERATION_RE)?.trim();
    if (!operation) this.fail(`the condition "${field}:" has no operation`);
    if (operation === "_any_") return { always: true };
    const where = `query ${JSON.stringify(this.s)}, condition "${field}:${operation}" (column ${at + 1})`;
    return parseCondition(resolveField(field, where, this.s), operation, where, this.s);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private eat(re: RegExp): string | undefined {
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) return undefined;
    this.i = re.lastIndex;
    return m[0];
  }

  private fail(what: string): never {
    throw new InvalidQueryError(`query ${JSON.stringify(this.s)}, column ${this.i + 1}: ${what}.`, this.s);
  }
}

/** A value as Polyaxon reads it: JSON when it parses, else the text. */
function jsonOrText(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function textValue(raw: string): string {
  const v = jsonOrText(raw);
  return typeof v === "string" ? v : raw;
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Epoch ms of a date or date-time in a query (no zone = UTC), and whether it was a date only. */
function parseTime(raw: string, where: string, whole: string): { ms: number; dateOnly: boolean } {
  const m = TIME_RE.exec(textValue(raw).trim());
  const iso = m ? `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? "00"}:${m[5] ?? "00"}:${m[6] ?? "00"}${m[7] ?? ""}${m[8] ? (m[8].toUpperCase() === "Z" ? "Z" : m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8]) : "Z"}` : "";
  const ms = Date.parse(iso);
  if (!m || Number.isNaN(ms)) {
    throw new InvalidQueryError(`${where}: "${raw}" is not a date or time; write 2024-05-01, 2024-05-01 12:30 or 2024-05-01T12:30:00+00:00.`, whole);
  }
  return { ms, dateOnly: m[4] === undefined };
}

const COMPARISONS: Array<[string, Op]> = [
  ["<=", "<="],
  ["=<", "<="],
  [">=", ">="],
  ["=>", ">="],
  ["<", "<"],
  [">", ">"],
];

function splitComparison(operation: string): { op: Op | undefined; rest: string } {
  for (const [prefix, op] of COMPARISONS) if (operation.startsWith(prefix)) return { op, rest: operation.slice(prefix.length).trim() };
  return { op: undefined, rest: operation };
}

const ALLOWED: Record<FieldType, string> = {
  search: "value, a|b, %part%, start%, %end, nil, each negated with ~",
  value: "value, a|b, nil, each negated with ~",
  tags: "tag (runs that have it), a|b (any of them), nil, each negated with ~",
  datetime: "a date or time, <, <=, >, >= one, a..b, last_month, nil, each negated with ~",
  scalar: "a number, <, <=, >, >= a number, nil, each negated with ~",
  json: "value, a|b, <, <=, >, >= a value, nil, each negated with ~",
};

function parseCondition(field: FieldRef, operation: string, where: string, whole: string): Condition {
  const bad = (what: string): never => {
    throw new InvalidQueryError(`${where}: ${what}; ${field.text} takes ${ALLOWED[field.type]}.`, whole);
  };
  let rest = operation.trim();
  let negation = false;
  if (rest.startsWith("~")) {
    negation = true;
    rest = rest.slice(1).trim();
  }
  if (!rest) bad("the operation is empty");
  if (rest === "nil") return { field, op: "nil", negation, params: null };
  const t = field.type;
  if (rest.includes("|") && (t === "datetime" || t === "scalar")) bad("`|` is not allowed here");
  if (rest.includes("..") && t !== "datetime") bad("`..` is not allowed here");

  if (t === "datetime") {
    if (rest.includes("..")) {
      const ends = rest.split("..").map((p) => p.trim()).filter(Boolean);
      if (ends.length !== 2) bad("a range takes exactly two ends, a..b");
      return { field, op: "..", negation, params: ends.map((e) => parseTime(e, where, whole).ms) };
    }
    const { op, rest: value } = splitComparison(rest);
    if (!value) bad("the value is missing");
    if (!op && value === "last_month") return { field, op: ">=", negation: false, params: Date.now() - 30 * 86_400_000 };
    const time = parseTime(value, where, whole);
    if (op) return { field, op, negation, params: time.ms };
    const span = time.dateOnly ? 86_400_000 : 60_000;
    const from = Math.floor(time.ms / span) * span;
    return { field, op: "=", negation, params: [from, from + span] };
  }

  if (t === "scalar") {
    const { op, rest: value } = splitComparison(rest);
    const n = jsonOrText(value);
    if (typeof n !== "number") bad(`"${value}" is not a number`);
    return { field, op: op ?? "=", negation, params: n };
  }

  const asText = t !== "json";
  if (rest.includes("|")) {
    const raw = rest.split("|").map((p) => p.trim()).filter(Boolean);
    if (raw.length <= 1) bad("`|` needs at least two values");
    return { field, op: "|", negation, params: raw.map((p) => (asText ? textValue(p) : jsonOrText(p))) };
  }
  const { op, rest: value } = splitComparison(rest);
  if (op && t !== "json") bad(`\`${op}\` is not allowed here`);
  if (!value) bad("the value is missing");
  if (op) return { field, op, negation, params: jsonOrText(value) };
  if (t === "search" && (value.startsWith("%") || value.endsWith("%"))) {
    const inner = value.split("%").map((p) => p.trim()).filter(Boolean);
    if (inner.length !== 1) bad("a pattern takes one text between %");
    const like: Op = value.startsWith("%") && value.endsWith("%") ? "%%" : value.endsWith("%") ? "_%" : "%_";
    return { field, op: like, negation, params: textValue(inner[0]!).toLowerCase() };
  }
  return { field, op: "=", negation, params: asText ? textValue(value) : jsonOrText(value) };
}

/**
 * Parses a query. An empty or blank query is no condition.
 * @throws InvalidQueryError saying where and what is allowed.
 */
export function parseQuery(query: string | undefined): QueryNode {
  if (query === undefined || query.trim() === "") return { always: true };
  if (typeof query !== "string") throw new InvalidQueryError(`query must be a string, got ${typeof query}.`, query);
  return new QueryParser(query).parse();
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `a` compared to `b` when both are numbers or both strings; undefined otherwise. */
function order(a: unknown, b: unknown): number | undefined {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function positive(c: Condition, v: unknown): boolean {
  if (c.op === "nil") return v === undefined || (Array.isArray(v) && v.length === 0);
  if (v === undefined) return false;
  switch (c.op) {
    case "=":
      if (c.field.type === "tags") return (v as string[]).includes(c.params as string);
      if (c.field.type === "datetime") return (v as number) >= (c.params as number[])[0]! && (v as number) < (c.params as number[])[1]!;
      return sameJson(v, c.params);
    case "|":
      if (c.field.type === "tags") return (c.params as string[]).some((p) => (v as string[]).includes(p));
      return (c.params as unknown[]).some((p) => sameJson(v, p));
    case "..":
      return (v as number) >= (c.params as number[])[0]! && (v as number) <= (c.params as number[])[1]!;
    case "%%":
      return String(v).toLowerCase().includes(c.params as string);
    case "_%":
      return String(v).toLowerCase().startsWith(c.params as string);
    case "%_":
      return String(v).toLowerCase().endsWith(c.params as string);
    default: {
      const d = order(v, c.params);
      if (d === undefined || Number.isNaN(d)) return false;
      return c.op === "<" ? d < 0 : c.op === "<=" ? d <= 0 : c.op === ">" ? d > 0 : d >= 0;
    }
  }
}

const FLIP: Partial<Record<Op, Op>> = { "<": ">=", "<=": ">", ">": "<=", ">=": "<" };

/** True when the run satisfies the condition tree. */
export function matchQuery<T = RunSummary>(node: QueryNode, run: T, get: (run: T, f: FieldRef) => unknown = fieldValue as (run: T, f: FieldRef) => unknown): boolean {
  if ("always" in node) return true;
  if ("all" in node) return node.all.every((n) => matchQuery(n, run, get));
  if ("any" in node) return node.any.some((n) => matchQuery(n, run, get));
  const v = get(run, node.field);
  if (!node.negation) return positive(node, v);
  const flipped = FLIP[node.op];
  if (flipped) return positive({ ...node, op: flipped, negation: false }, v);
  return !positive(node, v);
}

/** Every field a query names. */
export function queryFields(node: QueryNode, out: FieldRef[] = []): FieldRef[] {
  if ("always" in node) return out;
  if ("all" in node || "any" in node) {
    for (const n of "all" in node ? node.all : node.any) queryFields(n, out);
    return out;
  }
  out.push(node.field);
  return out;
}

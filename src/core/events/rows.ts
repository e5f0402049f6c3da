import { parsePyTimestamp } from "./pyformat.js";

/** One event as read back: `step` is null when the row has none. */
export interface EventRow<V = unknown> {
  step: number | null;
  timestamp: Date;
  value: V;
}

/** Python float literals as `repr` writes them (`nan`, `inf`, `-inf`, `1e-05`…). */
export function parsePyFloat(s: string): number {
  switch (s) {
    case "nan":
    case "NaN":
      return Number.NaN;
    case "inf":
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-inf":
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
    default:
      return s.length === 0 ? Number.NaN : Number(s);
  }
}

function isFloatLiteral(s: string): boolean {
  return s === "nan" || s === "inf" || s === "-inf" || (s.length > 0 && !Number.isNaN(Number(s)));
}

/** Parses the value column of a CSV row. @throws SyntaxError when it is not complete. */
export function parseCsvValue(kind: string, raw: string): unknown {
  if (kind === "metric") {
    if (!isFloatLiteral(raw)) throw new SyntaxError(`not a float: ${raw}`);
    return parsePyFloat(raw);
  }
  const v = JSON.parse(raw) as unknown;
  // Pre-2023 writers stored text/html/chart as CSV; chart values are JSON strings there too.
  if ((kind === "chart" || kind === "span") && typeof v === "string") return JSON.parse(v) as unknown;
  return v;
}

/** Parses the value of a JSONL row (`chart`/`span` are double-encoded). */
export function parseJsonlValue(kind: string, v: unknown): unknown {
  if ((kind === "chart" || kind === "span") && typeof v === "string") return JSON.parse(v) as unknown;
  return v;
}

export function parseStep(raw: string | number | null | undefined): number | null {
  if (raw === null || raw === undefined || raw === "") return null;
  const n = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isInteger(n)) throw new SyntaxError(`bad step: ${raw}`);
  return n;
}

/**
 * True when `line` is a whole row (used to detect the row a kill cut in half). A CSV row has
 * at least three fields, a parseable timestamp and value; a JSONL row is a JSON object with both.
 */
export function isCompleteRow(kind: string, jsonl: boolean, line: string): boolean {
  if (line.length === 0) return true;
  try {
    if (jsonl && line.startsWith("{")) {
      const obj = JSON.parse(line) as Record<string, unknown>;
      return typeof obj.timestamp === "string" && kind in obj;
    }
    const a = line.indexOf("|");
    const b = a < 0 ? -1 : line.indexOf("|", a + 1);
    if (b < 0) return false;
    const f1 = line.slice(0, a);
    const f2 = line.slice(a + 1, b);
    const tsOk = !Number.isNaN(parsePyTimestamp(f2)) || !Number.isNaN(parsePyTimestamp(f1));
    if (!tsOk) return false;
    parseCsvValue(kind, line.slice(b + 1));
    return true;
  } catch {
    return false;
  }
}

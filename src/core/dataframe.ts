import { InvalidValueError } from "./errors.js";
import { pyFloatRepr } from "./events/pyformat.js";
import { show } from "./validate.js";

/** One row of a table: column name → cell. */
export type DataframeRow = Record<string, string | number | boolean | null | undefined>;

type ColumnType = "int" | "float" | "bool" | "object";

const missing = (v: unknown): boolean => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));

/** The dtype pandas gives a column built from these cells. */
function columnType(cells: unknown[]): ColumnType {
  const present = cells.filter((v) => !missing(v));
  const hasMissing = present.length !== cells.length;
  if (present.length === 0) return "float"; // an all-missing column is float64 NaN
  if (present.every((v) => typeof v === "number")) {
    return hasMissing || !present.every((v) => Number.isInteger(v)) || cells.some((v) => typeof v === "number" && Number.isNaN(v)) ? "float" : "int";
  }
  if (!hasMissing && present.every((v) => typeof v === "boolean")) return "bool";
  return "object";
}

function cell(v: unknown, type: ColumnType): string {
  if (missing(v)) return "";
  if (typeof v === "number") {
    if (type === "float") return pyFloatRepr(v);
    return Number.isInteger(v) ? String(v) : pyFloatRepr(v); // int64 column, or an int kept as-is in an object column
  }
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

/** `csv.QUOTE_MINIMAL`: quote a field holding the separator, a quote or a line break; double the quotes. */
function quote(field: string): string {
  return /[",\n\r]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/**
 * `pandas.DataFrame(rows).to_csv(path)`, the file traceml's `log_dataframe` writes: the index as
 * an unnamed first column (0, 1, …), columns in order of first appearance, pandas' dtypes (an
 * integer column with a missing cell becomes float, so `1` is written `1.0`), missing cells
 * empty, booleans `True`/`False`, Python float repr, `\n` line ends.
 * @throws InvalidValueError for a row that is not a plain object, or a cell that is an object.
 */
export function rowsToCsv(rows: readonly DataframeRow[], method = "logDataframe"): string {
  if (!Array.isArray(rows)) throw new InvalidValueError(`${method}: pass an array of row objects or a path to a .csv/.html file.`, rows);
  const columns: string[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new InvalidValueError(`${method}: row ${i} must be an object of column → value (got ${show(row)}).`, row);
    }
    for (const [k, v] of Object.entries(row)) {
      if (v !== null && v !== undefined && !["string", "number", "boolean"].includes(typeof v)) {
        throw new InvalidValueError(`${method}: row ${i}, column ${JSON.stringify(k)} holds ${show(v)}; cells must be strings, numbers, booleans or null.`, v);
      }
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  });
  const types = columns.map((c) => columnType(rows.map((r) => r[c])));
  const lines = [["", ...columns].map(quote).join(",")];
  rows.forEach((row, i) => lines.push([String(i), ...columns.map((c, j) => quote(cell(row[c], types[j]!)))].join(",")));
  return lines.join("\n") + "\n";
}

/**
 * Formatting that matches what Polyaxon's Python writer puts in event files, byte for byte:
 * Python `repr(float)` for metric columns, pydantic/orjson floats inside nested JSON,
 * Python `str(datetime)` timestamps and `json.dumps` (ensure_ascii, `", "`/`": "`) for JSONL.
 * See polyaxon-format.md §2.3–2.5.
 */

function padExponent(s: string): string {
  // JS "1e-5" / "2.5e+16" → Python "1e-05" / "2.5e+16" (at least two exponent digits).
  const e = s.indexOf("e");
  const digits = s.length - e - 2;
  return digits >= 2 ? s : `${s.slice(0, e + 2)}0${s.slice(e + 2)}`;
}

/** Python `repr(float(v))`: shortest round-trip digits, fixed for exponents −4…15, `.0` on integers, `nan`, `inf`. */
export function pyFloatRepr(v: number): string {
  if (Number.isInteger(v)) {
    if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
    if (v < 1e16 && v > -1e16) return `${v}.0`;
    return padExponent(v.toExponential());
  }
  if (v !== v) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  const a = v < 0 ? -v : v;
  if (a >= 1e-4) return String(v);
  return padExponent(v.toExponential());
}

/** A float as pydantic v2 / orjson write it in nested JSON: `1.0`, `1e-6`, `1e+16`; NaN and ±Infinity become `null`. */
export function jsonFloat(v: number): string {
  if (!Number.isFinite(v)) return "null";
  if (Number.isInteger(v)) {
    if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
    if (v < 1e16 && v > -1e16) return `${v}.0`;
    return v.toExponential();
  }
  const a = v < 0 ? -v : v;
  if (a >= 1e-5) return String(v);
  return v.toExponential();
}

/** A list typed `List[float]` in Polyaxon's schemas: every number is written as a float. */
export function jsonFloatList(values: ArrayLike<number>): string {
  let out = "[";
  for (let i = 0; i < values.length; i++) out += (i ? "," : "") + jsonFloat(values[i] as number);
  return out + "]";
}

/**
 * Compact JSON of a free value (a `Dict` field such as a model's `spec`, a chart's figure):
 * no spaces, raw UTF-8, keys in insertion order, integral numbers as ints, other numbers
 * formatted as pydantic does; `undefined` members are left out and `null` is kept.
 */
export function compactJson(value: unknown): string {
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? String(value) : jsonFloat(value);
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "object": {
      if (value === null) return "null";
      if (value instanceof Date) return JSON.stringify(pyIsoTimestamp(value.getTime()));
      if (Array.isArray(value) || ArrayBuffer.isView(value)) {
        const arr = value as ArrayLike<unknown>;
        let out = "[";
        for (let i = 0; i < arr.length; i++) {
          const item = arr[i];
          out += (i ? "," : "") + (item === undefined || typeof item === "function" ? "null" : compactJson(item));
        }
        return out + "]";
      }
      const toJSON = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === "function") return compactJson(toJSON.call(value));
      let out = "{";
      let first = true;
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
        out += (first ? "" : ",") + JSON.stringify(key) + ":" + compactJson(item);
        first = false;
      }
      return out + "}";
    }
    default:
      return "null";
  }
}

const PIPE = /\|/g;
/** A JSON value for a pipe-CSV column: a `|` (only possible inside strings) becomes `\u007c`. */
export function csvSafeJson(json: string): string {
  return json.indexOf("|") === -1 ? json : json.replace(PIPE, "\\u007c");
}

const NON_ASCII = /[\u007f-\uffff]/g;
/** A string as Python's `json.dumps(ensure_ascii=True)` writes it: `é` → `\u00e9`, astral → surrogate pair. */
export function pyJsonString(s: string): string {
  const json = JSON.stringify(s);
  return json.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

let cachedMs = Number.NaN;
let cachedTs = "";
let cachedSecond = Number.NaN;
let cachedPrefix = "";
const MS3 = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, "0")}000+00:00`);
/**
 * Python `str(datetime)` of a UTC instant: `2024-05-01 12:34:56.123000+00:00`.
 * The fraction is always written (Python drops it when microsecond == 0): with millisecond
 * clocks that would happen once in a thousand rows, and a column mixing both shapes can
 * defeat pandas' format inference. The `YYYY-MM-DD HH:MM:SS` prefix is cached per second.
 */
export function pyTimestamp(ms: number): string {
  if (ms === cachedMs) return cachedTs;
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const iso = new Date(second * 1000).toISOString();
    cachedSecond = second;
    cachedPrefix = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  }
  cachedMs = ms;
  cachedTs = cachedPrefix + MS3[ms - second * 1000]!;
  return cachedTs;
}

/** `datetime.isoformat()` of a UTC instant, as Polyaxon puts it in summaries and run metadata. */
export function pyIsoTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}000+00:00`;
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;
/**
 * Parses the timestamps Polyaxon's writers produce (`2024-05-01 12:34:56.123456+00:00`,
 * no fraction, `T` separator, `Z`, other offsets; a naive time is read as UTC).
 * Returns epoch milliseconds (sub-millisecond digits are truncated), or NaN when malformed.
 */
export function parsePyTimestamp(s: string): number {
  const m = TS_RE.exec(s);
  if (!m) return Number.NaN;
  const frac = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  const year = +m[1]!;
  let ms = Date.UTC(year, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, frac);
  if (year < 100) ms = new Date(ms).setUTCFullYear(year); // Date.UTC reads years 0–99 as 1900–1999
  const tz = m[8];
  if (tz && tz !== "Z") {
    const sign = tz[0] === "-" ? -1 : 1;
    const digits = tz.slice(1).replace(":", "");
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return ms;
}

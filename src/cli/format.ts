/** Text formatting for the terminal: aligned tables and short human values. No colours, so output pipes cleanly. */

/** Column alignment of {@link table}: `l`eft or `r`ight. */
export type Align = "l" | "r";

/** Options of {@link table}. */
export interface TableOptions {
  /** Per-column alignment; default left. */
  align?: Align[];
  /** Cells longer than this are cut with `…`. Default 48. */
  maxWidth?: number;
  /** Indent every line by this many spaces. Default 0. */
  indent?: number;
}

/** A cell's text: strings as they are; anything else (a damaged run's field) as JSON, never `[object Object]`. */
function cellText(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`;
}

/**
 * Renders rows as a plain-text table: a header, a dashed rule, columns padded to their widest
 * cell and separated by two spaces; trailing spaces are trimmed.
 *
 * @example
 * table(["name", "last"], [["loss", "0.12"]], { align: ["l", "r"] })
 * // name  last
 * // ----  ----
 * // loss  0.12
 */
export function table(headers: string[], rows: unknown[][], opts: TableOptions = {}): string {
  const max = opts.maxWidth ?? 48;
  const pad = " ".repeat(opts.indent ?? 0);
  const cells = [headers, ...rows].map((r) => headers.map((_, i) => cut(cellText(r[i]).replace(/\s+/g, " "), max)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    pad + r.map((c, i) => (opts.align?.[i] === "r" ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const rule = pad + widths.map((w) => "-".repeat(w)).join("  ");
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}

/** `key  value` lines with the keys padded to the same width. */
export function keyValues(pairs: Array<[string, string]>, indent = 0): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${" ".repeat(indent)}${k.padEnd(w)}  ${v}`).join("\n");
}

/** A number in at most 4 significant digits (`0.1235`, `12`, `1.2e-5`); `–` for null. */
export function fmtNum(v: unknown): string {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** Seconds as `850 ms`, `12.3 s`, `4m 05s`, `2h 03m`; `–` for null. */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** Bytes as `512 B`, `1.5 KiB`, `256.0 MiB`; `–` for null. */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** An ISO time from run metadata as `2024-05-01 12:34:56 UTC`; `–` when missing or unparseable. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

import { closeSync, fstatSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { setOwn } from "../own-props.js";
import type { ChangeLogMark } from "./change-log.js";
import { needsRecheck, type RunRecord } from "./run-record.js";
import type { MetricLast } from "./summary.js";

// The index file, `<runs root>/.runtrail/index`: one header line of JSON, then sections read
// (with `pread`) only when a listing needs them. A listing sorted on `metrics.loss` reads the
// folder names, the `loss` column and the records of the runs it shows — not the 10,000 records
// of the sweep, which is what a single JSON document would cost on every listing.
//
//   runtrail-index <version> <LE|BE>\n
//   {"count":N,"state":{…},"incomplete":n,"unknown":{…},"sections":{"ids":[start,end],…}}\n
//   <sections, offsets relative to the byte after the header line>
//
// Sections: `ids` (the folder names, one after the other) and `uuids` (where not the folder
// name, NUL-separated: no file name holds a NUL); `recheck` (positions of the runs looked at on
// every listing) and `complete` ("1"/"0" per run: all its metric streams known), JSON; `recs`
// (one JSON record per run); and binary, in the machine's byte order, read straight into typed
// arrays with nothing to parse: `idOff` (the names' offsets), `fps` (run.plx.json fingerprints,
// four numbers each), `recOff` (the records' offsets), `created` (created_at, epoch ms) and per
// metric stream `m:<name>`, sparse: the positions of the runs that have it (or are known not
// to), and their last values and steps.

/** Bumped whenever the layout changes: an index of another version is rebuilt. */
export const INDEX_VERSION = 3;
/** The byte order is part of the format: typed arrays are read in the machine's own. */
const MAGIC = `runtrail-index ${INDEX_VERSION} ${endianness()}\n`;

/** A part of the index file that does not read as this version wrote it: the listing starts again without the index, and rebuilds it. */
export class CorruptIndexError extends Error {
  constructor(what: string) {
    super(`runtrail index: ${what}`);
    this.name = "CorruptIndexError";
  }
}

/** What the index knows about how current it is. */
export interface IndexState {
  /** Fingerprint of the runs root folder at the last full check ("" = not trusted). */
  rootFp: string;
  /** When the last check of every run folder started (epoch ms). */
  checkedMs: number;
  /** How far the runs root's change log had been read. */
  changes: ChangeLogMark | null;
}

/**
 * A record as one JSON array: positional fields parse with a fraction of the objects that keyed
 * objects cost. Non-finite metric values are kept as text, since JSON has no NaN or Infinity.
 */
type Encoded = [id: string, metaFp: string, meta: unknown[], metrics: unknown[], absent: string[] | 0, complete: 0 | 1, metricFps: Record<string, string> | 0];

const META_KEYS = ["uuid", "name", "project", "status", "tags", "createdAt", "startedAt", "finishedAt", "duration", "inputs", "outputs", "damaged"] as const;

const jsonNumber = (v: number): number | string => (Number.isFinite(v) ? v : String(v));
const fromJsonNumber = (v: unknown): number => (typeof v === "number" ? v : Number(v));

export function encodeRecord(r: RunRecord): Encoded {
  const metrics: unknown[] = [];
  for (const [name, m] of Object.entries(r.metrics)) metrics.push(name, m.step, jsonNumber(m.value));
  return [r.id, r.metaFp, META_KEYS.map((k) => r.meta[k]), metrics, r.complete ? 0 : (r.absent ?? []), r.complete ? 1 : 0, r.metricFps ?? 0];
}

const isDict = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);

/** `undefined` for anything this version did not write: that run is then read again. */
export function decodeRecord(e: unknown): RunRecord | undefined {
  if (!Array.isArray(e) || e.length !== 7 || typeof e[0] !== "string" || typeof e[1] !== "string" || !Array.isArray(e[2]) || !Array.isArray(e[3])) return undefined;
  const [id, metaFp, metaValues, flat, absent, complete, metricFps] = e as Encoded;
  const meta = {} as Record<string, unknown>;
  for (let i = 0; i < META_KEYS.length; i++) meta[META_KEYS[i]!] = metaValues[i];
  if (!Array.isArray(meta.damaged) || !Array.isArray(meta.tags) || !isDict(meta.inputs) || !isDict(meta.outputs)) return undefined;
  const metrics: RunRecord["metrics"] = {};
  for (let i = 0; i + 2 < flat.length; i += 3) setOwn(metrics, flat[i] as string, { step: flat[i + 1] as number | null, value: fromJsonNumber(flat[i + 2]) });
  const r: RunRecord = { id, metaFp, meta: meta as unknown as RunRecord["meta"], metrics, complete: complete === 1 };
  if (!r.complete) r.absent = Array.isArray(absent) ? absent : [];
  if (metricFps) r.metricFps = metricFps;
  return r;
}

function createdMs(r: RunRecord): number | null {
  const ms = r.meta.createdAt === null ? Number.NaN : Date.parse(r.meta.createdAt);
  return Number.isNaN(ms) ? null : ms;
}

/** Float64 arrays, padded to 8 bytes between parts, as one buffer. */
function binary(parts: ArrayBufferView[]): Buffer {
  const padded = (n: number): number => Math.ceil(n / 8) * 8;
  const out = Buffer.alloc(parts.reduce((n, p) => n + padded(p.byteLength), 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += padded(p.byteLength);
  }
  return out;
}

/** Kinds of a metric column's entries. */
const PRESENT = 0;
const PRESENT_NO_STEP = 1;
const ABSENT = 2;

/** A metric's entries: positions, and the last row there (`null`: known absent). */
interface ColumnEntries {
  pos: number[];
  last: Array<MetricLast | null>;
}

function metricColumn(c: ColumnEntries): Buffer {
  const n = c.pos.length;
  const kind = new Uint8Array(n);
  const value = new Float64Array(n);
  const step = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const m = c.last[k]!;
    kind[k] = m === null ? ABSENT : m.step === null ? PRESENT_NO_STEP : PRESENT;
    value[k] = m?.value ?? 0;
    step[k] = m?.step ?? 0;
  }
  return binary([new Float64Array([n]), kind, Int32Array.from(c.pos), value, step]);
}

function idOffsets(records: RunRecord[]): Float64Array {
  const out = new Float64Array(records.length + 1);
  records.forEach((r, pos) => (out[pos + 1] = out[pos]! + Buffer.byteLength(r.id)));
  return out;
}

/** Each fingerprint `ino:size:mtimeMs:ctimeMs` as four float64s (NaN for "": not trusted). */
function fingerprintNumbers(records: RunRecord[]): Float64Array {
  const out = new Float64Array(records.length * 4).fill(Number.NaN);
  records.forEach((r, pos) => {
    const parts = r.metaFp.split(":");
    if (parts.length === 4) parts.forEach((p, k) => (out[pos * 4 + k] = Number(p)));
  });
  return out;
}

/** The whole index file for these records, in this order. */
export function encodeIndex(records: RunRecord[], state: IndexState): Buffer {
  const columns = new Map<string, ColumnEntries>();
  const add = (name: string, pos: number, m: MetricLast | null): void => {
    let c = columns.get(name);
    if (!c) columns.set(name, (c = { pos: [], last: [] }));
    c.pos.push(pos);
    c.last.push(m);
  };
  const recs: string[] = [];
  const recOff = new Float64Array(records.length + 1);
  const created = new Float64Array(records.length);
  let complete = "";
  let incomplete = 0;
  const recheck: number[] = [];
  for (let pos = 0; pos < records.length; pos++) {
    const r = records[pos]!;
    const text = JSON.stringify(encodeRecord(r));
    recs.push(text);
    recOff[pos + 1] = recOff[pos]! + Buffer.byteLength(text) + 1;
    created[pos] = createdMs(r) ?? Number.NaN;
    complete += r.complete ? "1" : "0";
    if (!r.complete) incomplete++;
    if (needsRecheck(r)) recheck.push(pos);
    for (const name in r.metrics) add(name, pos, r.metrics[name]!);
    if (!r.complete) for (const name of r.absent ?? []) add(name, pos, null);
  }
  const parts: Array<[string, Buffer]> = [
    ["ids", Buffer.from(records.map((r) => r.id).join(""))],
    ["idOff", binary([idOffsets(records)])],
    ["fps", binary([fingerprintNumbers(records)])],
    ["uuids", Buffer.from(records.map((r) => (r.meta.uuid === r.id ? "" : (r.meta.uuid ?? ""))).join("\0"))],
    ["recheck", Buffer.from(JSON.stringify(recheck))],
    ["complete", Buffer.from(JSON.stringify(complete))],
    ["created", binary([created])],
    ["recOff", binary([recOff])],
    ["recs", Buffer.from(`${recs.join("\n")}\n`)],
  ];
  for (const [name, c] of columns) parts.push([`m:${name}`, metricColumn(c)]);
  const sections: Record<string, [number, number]> = {};
  let at = 0;
  for (const [name, b] of parts) {
    sections[name] = [at, at + b.length];
    at += b.length;
  }
  // How many runs do not know each metric (not complete, no entry): 0 spares a listing the scan for them.
  const unknown: Record<string, number> = {};
  for (const [name, c] of columns) unknown[name] = incomplete - c.pos.filter((pos) => !records[pos]!.complete).length;
  const header = JSON.stringify({ count: records.length, state, incomplete, unknown, sections });
  return Buffer.concat([Buffer.from(`${MAGIC}${header}\n`), ...parts.map((p) => p[1])]);
}

/** The header line. */
interface Header {
  count: number;
  state: IndexState;
  /** Runs whose record does not know all its metric streams. */
  incomplete: number;
  /** Per metric column: runs that do not know that metric. */
  unknown: Record<string, number>;
  sections: Record<string, [number, number]>;
}

interface Column {
  /** Entry by run position, -1 when the run has none. */
  slot: Int32Array;
  /** Run position by entry. */
  pos: Int32Array;
  kind: Uint8Array;
  value: Float64Array;
  step: Float64Array;
}

/**
 * An index file as loaded: each section is parsed the first time it is asked for, each record
 * the first time it is asked for. Throws only from {@link decodeIndex}; a section that will not
 * parse later (a file damaged in the middle) throws too, and the caller lists without it.
 */
export class IndexSnapshot {
  readonly count: number;
  readonly state: IndexState;
  private readonly cache = new Map<string, unknown>();
  private readonly records: Array<RunRecord | undefined | null>;
  private readonly columns = new Map<string, Column | null>();
  private readonly dense = new Map<string, Float64Array>();
  private positions?: Map<string, number>;
  private lookups = 0;

  private readonly sections: Record<string, [number, number]>;

  constructor(
    private fd: number | undefined,
    private readonly bodyStart: number,
    private readonly header: Header,
  ) {
    this.count = header.count;
    this.state = header.state;
    this.sections = header.sections;
    this.records = new Array(header.count);
  }

  /**
   * Bytes `[start, end)` of the body, in an ArrayBuffer of their own (so typed arrays over it are
   * aligned), read from the file as it was when opened: a rewrite renames a new file in, and
   * this one stays readable.
   */
  private bytes(start: number, end: number): Uint8Array {
    if (this.fd === undefined) throw new CorruptIndexError("read after close");
    const buf = new Uint8Array(new ArrayBuffer(end - start));
    let n = 0;
    while (n < buf.length) {
      const r = readSync(this.fd, buf, n, buf.length - n, this.bodyStart + start + n);
      if (r === 0) throw new CorruptIndexError("file cut short");
      n += r;
    }
    return buf;
  }

  private text(start: number, end: number): string {
    const b = this.bytes(start, end);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
  }

  private raw(name: string): Uint8Array {
    const at = this.sections[name];
    if (!at) throw new CorruptIndexError(`section ${name} missing`);
    return this.bytes(at[0], at[1]);
  }

  private section<T>(name: string, binary = false): T {
    if (this.cache.has(name)) return this.cache.get(name) as T;
    const raw = this.raw(name);
    let v: unknown = raw;
    if (!binary) {
      try {
        v = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8"));
      } catch {
        throw new CorruptIndexError(`section ${name} is not JSON`);
      }
    }
    this.cache.set(name, v);
    return v as T;
  }

  private float64(name: string, length: number): Float64Array {
    const raw = this.section<Uint8Array>(name, true);
    if (raw.byteLength !== length * 8) throw new CorruptIndexError(`section ${name} has ${raw.byteLength} bytes`);
    return new Float64Array(raw.buffer, raw.byteOffset, length);
  }

  /** Closes the file; sections not read by now cannot be read any more. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private names(name: string): string[] {
    if (this.cache.has(name)) return this.cache.get(name) as string[];
    const v = this.count === 0 ? [] : this.text(...this.sections[name]!).split("\0");
    if (v.length !== this.count) throw new CorruptIndexError(`section ${name} does not fit ${this.count} runs`);
    this.cache.set(name, v);
    return v;
  }

  private idBlob?: Buffer;
  private idReads = 0;

  private idBytes(): Buffer {
    if (!this.idBlob) {
      const raw = this.section<Uint8Array>("ids", true);
      this.idBlob = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    }
    return this.idBlob;
  }

  /** The folder name at `pos`. */
  id(pos: number): string {
    const off = this.float64("idOff", this.count + 1);
    const [start, end] = this.sections.ids!;
    if (!(off[pos]! <= off[pos + 1]! && start + off[pos + 1]! <= end)) throw new CorruptIndexError("section idOff points past ids");
    // A first page needs a few dozen names: read just those, until it is clear that many are wanted.
    if (!this.idBlob && ++this.idReads <= 256) return this.text(start + off[pos]!, start + off[pos + 1]!);
    return this.idBytes().toString("utf8", off[pos], off[pos + 1]);
  }

  /** Every folder name, in order. */
  ids(): string[] {
    if (this.cache.has("idList")) return this.cache.get("idList") as string[];
    const off = this.float64("idOff", this.count + 1);
    const blob = this.idBytes();
    if (!(off[this.count]! <= blob.length)) throw new CorruptIndexError("section idOff points past ids");
    const out = new Array<string>(this.count);
    for (let pos = 0; pos < this.count; pos++) {
      if (!(off[pos]! <= off[pos + 1]!)) throw new CorruptIndexError("section idOff is not in order");
      out[pos] = blob.toString("utf8", off[pos], off[pos + 1]);
    }
    this.cache.set("idList", out);
    return out;
  }

  /** The position of a folder name, -1 when it is not in the index. */
  position(id: string): number {
    // A listing looks up a few names (the changed runs) far more often than many: a native
    // search of the names each costs less than building the map, until there are many.
    if (!this.positions && ++this.lookups <= 32) return this.search(id);
    this.positions ??= new Map(this.ids().map((id, i) => [id, i]));
    return this.positions.get(id) ?? -1;
  }

  private search(id: string): number {
    const blob = this.idBytes();
    const off = this.float64("idOff", this.count + 1);
    const needle = Buffer.from(id);
    for (let at = blob.indexOf(needle); at >= 0; at = blob.indexOf(needle, at + 1)) {
      let lo = 0;
      let hi = this.count;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (off[mid]! < at) lo = mid + 1;
        else hi = mid;
      }
      if (lo < this.count && off[lo] === at && off[lo + 1]! - at === needle.length) return lo;
    }
    return -1;
  }

  /** The uuid a summary of the run at `pos` has (`run.plx.json`'s, else the folder name), for ties in a sort. */
  uuid(pos: number): string {
    return this.names("uuids")[pos] || this.id(pos);
  }

  private list<T>(name: string, length?: number): T {
    const v = this.section<unknown>(name);
    if (length === undefined ? !Array.isArray(v) || !v.every((p) => Number.isInteger(p) && p >= 0 && p < this.count) : (v as { length?: unknown }).length !== length) {
      throw new CorruptIndexError(`section ${name} does not fit ${this.count} runs`);
    }
    return v as T;
  }

  /** Whether the fingerprint at `pos` is the one of these file times (compared as numbers: a full check does it for every run). */
  fpIs(pos: number, ino: number, size: number, mtimeMs: number, ctimeMs: number): boolean {
    const f = this.float64("fps", this.count * 4);
    const at = pos * 4;
    return f[at] === ino && f[at + 1] === size && f[at + 2] === mtimeMs && f[at + 3] === ctimeMs;
  }



  /** Positions of the runs whose files a listing looks at even when it trusts the index. */
  recheck(): number[] {
    return this.list<number[]>("recheck");
  }

  complete(pos: number): boolean {
    return this.list<string>("complete", this.count).charCodeAt(pos) === 49;
  }

  created(pos: number): number | undefined {
    const ms = this.createdValues()[pos]!;
    return Number.isNaN(ms) ? undefined : ms;
  }

  /** The record at `pos`; `undefined` when it does not decode (that run is then read again). */
  record(pos: number): RunRecord | undefined {
    const known = this.records[pos];
    if (known !== undefined) return known ?? undefined;
    const off = this.float64("recOff", this.count + 1);
    const [start] = this.sections.recs!;
    let r: RunRecord | undefined;
    try {
      r = decodeRecord(JSON.parse(this.text(start + off[pos]!, start + off[pos + 1]! - 1)));
    } catch {
      r = undefined;
    }
    this.records[pos] = r ?? null;
    return r;
  }

  private columnOf(name: string): Column | null {
    let c = this.columns.get(name);
    if (c === undefined) {
      c = this.sections[`m:${name}`] ? this.column(`m:${name}`) : null;
      this.columns.set(name, c);
    }
    return c;
  }

  /** The last value of a metric at `pos` as queries and sorts see it: undefined when absent, unknown or NaN. */
  metricValue(name: string, pos: number): number | undefined {
    const v = this.metricValues(name)[pos]!;
    return Number.isNaN(v) ? undefined : v;
  }

  /** {@link metricValue} of every position at once, NaN where there is none: what a sort on the metric reads. */
  metricValues(name: string): Float64Array {
    let dense = this.dense.get(name);
    if (!dense) {
      dense = new Float64Array(this.count).fill(Number.NaN);
      const c = this.columnOf(name);
      if (c) for (let k = 0; k < c.pos.length; k++) if (c.kind[k] !== ABSENT) dense[c.pos[k]!] = c.value[k]!;
      this.dense.set(name, dense);
    }
    return dense;
  }

  /** `created_at` of every position (epoch ms), NaN where there is none. */
  createdValues(): Float64Array {
    return this.float64("created", this.count);
  }

  /** Positions of the runs whose record does not know the metric (never looked for). */
  unknown(name: string): Set<number> {
    const out = new Set<number>();
    if ((Object.hasOwn(this.header.unknown, name) ? this.header.unknown[name] : this.header.incomplete) === 0) return out;
    const c = this.columnOf(name);
    const complete = this.list<string>("complete", this.count);
    for (let pos = 0; pos < this.count; pos++) if ((!c || c.slot[pos]! < 0) && complete.charCodeAt(pos) !== 49) out.add(pos);
    return out;
  }

  private column(section: string): Column {
    const raw = this.raw(section);
    const f64 = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength >> 3);
    const n = f64[0]!;
    const pad = (b: number): number => Math.ceil(b / 8) * 8;
    if (!Number.isInteger(n) || n < 0 || raw.byteLength !== 8 + pad(n) + pad(4 * n) + 16 * n) throw new CorruptIndexError(`section ${section} has the wrong size`);
    let at = 8;
    const kind = new Uint8Array(raw.buffer, at, n);
    at += pad(n);
    const pos = new Int32Array(raw.buffer, at, n);
    at += pad(4 * n);
    const value = new Float64Array(raw.buffer, at, n);
    const step = new Float64Array(raw.buffer, at + 8 * n, n);
    const slot = new Int32Array(this.count).fill(-1);
    for (let k = 0; k < n; k++) {
      const p = pos[k]!;
      if (p < 0 || p >= this.count) throw new CorruptIndexError(`section ${section} names run ${p} of ${this.count}`);
      slot[p] = k;
    }
    return { slot, pos, kind, value, step };
  }
}

/**
 * The snapshot of the index file open on `fd`, which it then owns (see {@link IndexSnapshot.close});
 * `undefined`, with `fd` closed, when the file is not an index of this version (it is then rebuilt).
 */
export function openIndex(fd: number): IndexSnapshot | undefined {
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error("not a file");
    let head = Buffer.allocUnsafe(Math.min(st.size, 64 * 1024));
    let n = readSync(fd, head, 0, head.length, 0);
    if (n < MAGIC.length || head.toString("latin1", 0, MAGIC.length) !== MAGIC) throw new Error("not an index");
    let nl = head.indexOf(10, MAGIC.length);
    while (nl < 0 || nl >= n) {
      if (n === st.size) throw new Error("no header");
      const more = Buffer.allocUnsafe(Math.min(st.size, head.length * 4));
      head.copy(more, 0, 0, n);
      head = more;
      n += readSync(fd, head, n, head.length - n, n);
      nl = head.indexOf(10, MAGIC.length);
    }
    const h = JSON.parse(head.toString("utf8", MAGIC.length, nl)) as Header;
    if (typeof h.count !== "number" || !h.sections || !h.state || typeof h.state.checkedMs !== "number" || typeof h.incomplete !== "number" || !h.unknown) throw new Error("bad header");
    const bodyLength = st.size - (nl + 1);
    for (const [start, end] of Object.values(h.sections)) if (!(start >= 0 && end >= start && end <= bodyLength)) throw new Error("bad section");
    if (!h.sections.ids || !h.sections.idOff || !h.sections.fps || !h.sections.uuids || !h.sections.recs) throw new Error("sections missing");
    return new IndexSnapshot(fd, nl + 1, h);
  } catch {
    closeSync(fd);
    return undefined;
  }
}

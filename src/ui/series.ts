import { stat } from "node:fs/promises";
import { readRegularText } from "../core/fs-safe.js";
import { parseMetricColumns, type MetricColumns } from "../core/events/reader.js";
import type { Direction } from "../core/read/direction.js";
import { metricFacts } from "../core/read/metric-facts.js";
import { downsampleM4, sortedByX, type Series } from "./downsample.js";
import type { RootJail } from "./paths.js";

/** Default and upper bound of points sent for one metric stream. */
export const DEFAULT_POINTS = 2000;
export const MAX_POINTS = 20000;

/** What `GET /api/runs/:run/metrics/:name` answers. */
export interface MetricSeries extends Series {
  name: string;
  /** `step`, or `time` (x in epoch seconds). */
  xKind: "step" | "time";
  /** Rows in the file (before downsampling). */
  total: number;
  /** The last row's step and value, whatever the downsampling kept. */
  last: { step: number | null; value: number | null } | null;
  /** Which way the metric improves (the one rule: a recorded policy mode, else the name's default). */
  direction: Direction;
  /** The best finite value in that direction and its step (earliest on a tie), whatever the downsampling kept. */
  best: { step: number | null; value: number } | null;
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  cols: MetricColumns;
}

const CACHE_LIMIT = 32;
const cache = new Map<string, CacheEntry>();

/** Reads (or reuses, while the file is unchanged) the columns of a metric stream. */
async function columns(jail: RootJail, runDir: string, name: string): Promise<MetricColumns> {
  const path = jail.eventFile(runDir, "metric", name);
  const st = await stat(path);
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) {
    cache.delete(path);
    cache.set(path, hit); // most recently used goes last
    return hit.cols;
  }
  const cols = parseMetricColumns(await readRegularText(path, "reading a metric"), `${name}.plx`);
  cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, cols });
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return cols;
}

/**
 * A metric stream ready to plot: x = step (rows without a step are left out; the row index
 * is used when no row has one) or x = time (epoch seconds), sorted by x, downsampled with
 * M4 to at most `points` points so a million-row metric costs the page 2000 points.
 */
export async function metricSeries(
  jail: RootJail,
  runDir: string,
  name: string,
  opts: { x?: "step" | "time"; points?: number; direction: Direction },
): Promise<MetricSeries> {
  const xKind = opts.x ?? "step";
  const points = Math.min(MAX_POINTS, Math.max(4, Math.floor(opts.points ?? DEFAULT_POINTS)));
  const cols = await columns(jail, runDir, name);
  const n = cols.length;
  let xs: Float64Array;
  let ys: Float64Array;
  if (xKind === "time") {
    xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = cols.timestamps[i]! / 1000;
    ys = cols.values;
  } else {
    let withStep = 0;
    for (let i = 0; i < n; i++) if (!Number.isNaN(cols.steps[i]!)) withStep++;
    if (withStep === 0) {
      xs = new Float64Array(n);
      for (let i = 0; i < n; i++) xs[i] = i;
      ys = cols.values;
    } else if (withStep === n) {
      xs = cols.steps;
      ys = cols.values;
    } else {
      xs = new Float64Array(withStep);
      ys = new Float64Array(withStep);
      for (let i = 0, k = 0; i < n; i++) {
        if (Number.isNaN(cols.steps[i]!)) continue;
        xs[k] = cols.steps[i]!;
        ys[k++] = cols.values[i]!;
      }
    }
  }
  ({ x: xs, y: ys } = sortedByX(xs, ys));
  const facts = metricFacts(name, cols, opts.direction);
  const lastV = n ? cols.values[n - 1]! : Number.NaN;
  const lastS = n ? cols.steps[n - 1]! : Number.NaN;
  return {
    name,
    xKind,
    total: n,
    last: n ? { step: Number.isNaN(lastS) ? null : lastS, value: Number.isFinite(lastV) ? lastV : null } : null,
    direction: facts.mode,
    best: facts.best === null ? null : { step: facts.bestStep, value: facts.best },
    ...downsampleM4(xs, ys, points),
  };
}

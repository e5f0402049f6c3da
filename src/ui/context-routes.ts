import { parseMetricColumns } from "../core/events/reader.js";
import { listResourceStreams, parseLogs } from "../core/context/read.js";
import { downsampleM4, sortedByX, type Series } from "./downsample.js";
import { openRegular, readRegularText } from "../core/fs-safe.js";
import { HttpError, checkName, type RootJail } from "./paths.js";

/** Default and upper bound of the log lines `GET /api/runs/:run/logs` returns. */
export const DEFAULT_LOG_LINES = 500;
export const MAX_LOG_LINES = 5000;
/** Only this much of the end of a log file is read for a tail. */
const LOG_TAIL_BYTES = 4 * 1024 * 1024;

/** What `GET /api/runs/:run/resources/:name` answers: x in epoch seconds. */
export interface ResourceSeries extends Series {
  name: string;
  total: number;
}

/** `GET /api/runs/:run/resources` (names) and `/resources/:name?points=` (one stream, downsampled, x = time). */
export async function resourcesReply(jail: RootJail, runDir: string, rest: string[], points: number): Promise<string[] | ResourceSeries> {
  if (rest.length === 0) return listResourceStreams(runDir);
  const name = checkName(rest[0]!, "resource name");
  const file = jail.fileInRun(runDir, ["resources", "metric", `${name}.plx`], ["resources"]);
  const cols = parseMetricColumns(await readRegularText(file, "reading a resource stream"), `${name}.plx`);
  let xs: Float64Array = new Float64Array(cols.length);
  let ys: Float64Array = cols.values;
  for (let i = 0; i < cols.length; i++) xs[i] = cols.timestamps[i]! / 1000;
  ({ x: xs, y: ys } = sortedByX(xs, ys));
  return { name, total: cols.length, ...downsampleM4(xs, ys, points) };
}

/** `GET /api/runs/:run/logs?tail=N`: the last N captured lines (time in ISO, text as captured) and whether older ones exist. */
export async function logsReply(jail: RootJail, runDir: string, q: URLSearchParams): Promise<{ lines: Array<{ t: string; v: string }>; truncated: boolean }> {
  const raw = q.get("tail");
  let tail = DEFAULT_LOG_LINES;
  if (raw !== null) {
    if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LOG_LINES) throw new HttpError(400, `tail must be a whole number between 1 and ${MAX_LOG_LINES}`);
    tail = Number(raw);
  }
  let file: string;
  try {
    file = jail.fileInRun(runDir, ["plxlogs", "logs.jsonl"], ["plxlogs"]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err instanceof HttpError && err.status === 404)) return { lines: [], truncated: false };
    throw err;
  }
  const fh = await openRegular(file, "r", "reading the captured logs");
  let text: string;
  let cutHead = false;
  try {
    const { size } = await fh.stat();
    const from = Math.max(0, size - LOG_TAIL_BYTES);
    const buf = Buffer.alloc(size - from);
    await fh.read(buf, 0, buf.length, from);
    text = buf.toString("utf8");
    if (from > 0) {
      text = text.slice(text.indexOf("\n") + 1); // the first record read is likely cut at its start
      cutHead = true;
    }
  } finally {
    await fh.close();
  }
  const all = parseLogs(text, "logs.jsonl").lines;
  return { lines: all.slice(-tail).map((l) => ({ t: l.timestamp.toISOString(), v: l.value })), truncated: cutHead || all.length > tail };
}

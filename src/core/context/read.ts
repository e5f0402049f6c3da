import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ArtifactNotFoundError, CorruptRunError } from "../errors.js";
import { readRegularText } from "../fs-safe.js";
import { localRunPath } from "../load-run.js";
import { toFqnName } from "../names.js";
import { RunLayout } from "../paths.js";
import { parsePyTimestamp } from "../events/pyformat.js";
import { parseEvents, type EventRow } from "../events/reader.js";
import type { S3StoreOptions } from "../../store/s3-location.js";

/** One captured log line of `plxlogs/*.jsonl`, typed. */
export interface LogLine {
  timestamp: Date;
  node?: string;
  pod?: string;
  container?: string;
  value: string;
}

/** Parses a `plxlogs/*.jsonl` text; a last record cut by a kill is skipped, a bad record elsewhere is a CorruptRunError. */
export function parseLogs(text: string, source = "<text>"): { lines: LogLine[]; cutTail: boolean } {
  const raw = text.split("\n");
  const lines: LogLine[] = [];
  let cutTail = false;
  for (let i = 0; i < raw.length; i++) {
    const l = raw[i]!;
    if (l.length === 0) continue;
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      const ms = parsePyTimestamp(String(o.timestamp));
      if (typeof o.value !== "string" || Number.isNaN(ms)) throw new SyntaxError("not a V1Log record");
      const line: LogLine = { timestamp: new Date(ms), value: o.value };
      for (const k of ["node", "pod", "container"] as const) if (typeof o[k] === "string") line[k] = o[k];
      lines.push(line);
    } catch (err) {
      if (i === raw.length - 1) cutTail = true;
      else throw new CorruptRunError(`${source}: log record ${i} cannot be parsed (${(err as Error).message}).`, l, err);
    }
  }
  return { lines, cutTail };
}

/**
 * The captured logs of a run (`plxlogs/*.jsonl`, every file in time order; empty when nothing was
 * captured). `runPath` may be `s3://bucket/prefix/<uuid>`.
 * @example for (const l of await readLogs(runPath)) console.log(l.timestamp, l.value)
 */
export async function readLogs(runPath: string, opts: { s3?: S3StoreOptions } = {}): Promise<LogLine[]> {
  const dir = join(await localRunPath(runPath, opts.s3), "plxlogs");
  if (!existsSync(dir)) return [];
  const out: LogLine[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".jsonl")).sort()) {
    const path = join(dir, f);
    for (const line of parseLogs(await readRegularText(path, "reading the captured logs"), path).lines) out.push(line); // no spread: a log has millions of lines
  }
  if (out.length > 1) out.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime()); // stable: same-ms lines keep file order
  return out;
}

/** The names of a run's resource streams (`resources/metric/<name>.plx`), sorted. */
export function listResourceStreams(runPath: string): string[] {
  const dir = join(runPath, RunLayout.resources, "metric");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".plx"))
    .map((f) => f.slice(0, -4))
    .sort();
}

/**
 * One resource stream, `resources/metric/<name>.plx` (`cpu`, `memory`, `load`, `gpu_0_utilization`,
 * `process_rss`…): rows without a step, typed like `readEvents(…, "metric", …)`.
 * @throws ArtifactNotFoundError when the run has no such stream.
 */
export async function readResources(runPath: string, name: string, opts: { s3?: S3StoreOptions } = {}): Promise<EventRow<number>[]> {
  const path = join(await localRunPath(runPath, opts.s3), RunLayout.resources, "metric", `${toFqnName(name)}.plx`);
  let text: string;
  try {
    text = await readRegularText(path, "reading a resource stream");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ArtifactNotFoundError(`no resource stream "${name}" in ${runPath} (looked for ${path}); resources are sampled only with collectResources on.`, path, err);
    }
    throw err;
  }
  return parseEvents<number>("metric", text, path).rows;
}

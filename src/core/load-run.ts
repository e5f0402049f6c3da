import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ArtifactNotFoundError, CorruptRunError, NotRegularFileError } from "./errors.js";
import { fileTypeOf, readRegularTextSync } from "./fs-safe.js";
import type { V1RunArtifact } from "./lineage.js";
import { uniqueLineageNames } from "./lineage-names.js";
import { RunLayout } from "./paths.js";
import { listResourceStreams } from "./context/read.js";
import type { RunMeta, RunStatus } from "./run-meta.js";
import type { S3StoreOptions } from "../store/s3-location.js";

/** A run folder read back by {@link loadRun}. */
export interface LoadedRun {
  uuid: string;
  status: RunStatus;
  path: string;
  /** `run.plx.json`. */
  meta: RunMeta;
  /** `lineages.plx.json` (empty when the file does not exist yet), names made unique as when it is written (older runs too). */
  lineage: V1RunArtifact[];
  /** Every `events/<kind>/<name>.plx` file. */
  streams: Array<{ kind: string; name: string }>;
  /** Names of the system-resource streams `resources/metric/<name>.plx` (read them with `readResources`). */
  resources: string[];
  /** Captured log files under `plxlogs/` (read them with `readLogs`). */
  logFiles: string[];
}

/**
 * The local folder of a run: `runPath` itself, or for `s3://bucket/prefix/<uuid>` a local cache
 * brought up to date incrementally (see `materializeS3Run`; the AWS SDK is loaded only then).
 */
export async function localRunPath(runPath: string, s3?: S3StoreOptions): Promise<string> {
  if (!runPath.startsWith("s3://")) return resolve(runPath);
  const { materializeS3Run } = await import("../store/s3-reader.js");
  return materializeS3Run(runPath, s3);
}

/**
 * Reads a run folder — or a run in object storage, `s3://bucket/prefix/<uuid>` — its metadata,
 * lineage and the list of event streams.
 * @throws ArtifactNotFoundError when the run has no `run.plx.json`; CorruptRunError when it cannot be parsed;
 *   NotRegularFileError when `run.plx.json` or `lineages.plx.json` is a FIFO, socket or device.
 */
export async function loadRun(runPath: string, opts: { s3?: S3StoreOptions } = {}): Promise<LoadedRun> {
  const path = await localRunPath(runPath, opts.s3);
  const metaFile = join(path, RunLayout.runMeta);
  if (!existsSync(metaFile)) throw new ArtifactNotFoundError(`${path} is not a run folder (no ${RunLayout.runMeta}).`, path);
  const meta = parseJson<RunMeta>(metaFile);
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw new CorruptRunError(`${metaFile} is not a JSON object.`, metaFile);
  const lineageFile = join(path, RunLayout.lineages);
  const lineage = existsSync(lineageFile) ? uniqueLineageNames(checkLineage(parseJson<unknown>(lineageFile), lineageFile)) : [];
  const streams: Array<{ kind: string; name: string }> = [];
  const eventsDir = join(path, RunLayout.events);
  if (existsSync(eventsDir)) {
    const st = statSync(eventsDir);
    if (!st.isDirectory()) throw new NotRegularFileError(eventsDir, fileTypeOf(st), "loading the run", "a folder");
    for (const kind of readdirSync(eventsDir, { withFileTypes: true })) {
      if (!kind.isDirectory()) continue;
      let files: string[];
      try {
        files = readdirSync(join(eventsDir, kind.name)).sort();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOTDIR" || code === "ENOENT") continue; // replaced or removed since it was listed
        throw err;
      }
      for (const f of files) {
        if (f.endsWith(".plx")) streams.push({ kind: kind.name, name: f.slice(0, -4) });
      }
    }
  }
  streams.sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : 1) : a.kind < b.kind ? -1 : 1));
  const logsDir = join(path, "plxlogs");
  const logFiles = existsSync(logsDir) ? readdirSync(logsDir).filter((f) => f.endsWith(".jsonl")).sort().map((f) => `plxlogs/${f}`) : [];
  return { uuid: meta.uuid, status: meta.status, path, meta, lineage, streams, resources: listResourceStreams(path), logFiles };
}

/** `lineages.plx.json` as Polyaxon reads it: an array of records whose name, kind and path are text. */
function checkLineage(value: unknown, file: string): V1RunArtifact[] {
  if (!Array.isArray(value)) throw new CorruptRunError(`${file} is not a JSON array of lineage records.`, file);
  value.forEach((rec: unknown, i) => {
    if (typeof rec !== "object" || rec === null || Array.isArray(rec)) throw new CorruptRunError(`${file}: record ${i} is not a JSON object.`, file);
    for (const key of ["name", "kind", "path"] as const) {
      const v = (rec as Record<string, unknown>)[key];
      if (v !== undefined && v !== null && typeof v !== "string") throw new CorruptRunError(`${file}: record ${i} has a ${key} that is not text (${JSON.stringify(v)}).`, file);
    }
  });
  return value as V1RunArtifact[];
}

function parseJson<T>(file: string): T {
  const text = readRegularTextSync(file, "loading the run");
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new CorruptRunError(`${file} cannot be parsed as JSON.`, file, err);
  }
}

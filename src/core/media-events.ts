import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { resolve } from "node:path";
import type { AssetLogger, LoggedAsset } from "./assets.js";
import { rowsToCsv, type DataframeRow } from "./dataframe.js";
import { ArtifactNotFoundError, InvalidValueError } from "./errors.js";
import { copyPath } from "./fsutil.js";
import { encodeWav, readVideoSize, readWavHeader, type AudioValue, type VideoValue } from "./media.js";
import { baseFilename, pathExtension, toFqnName } from "./names.js";
import { checkStep, show } from "./validate.js";

/** Options of `logAudio` (Polyaxon's `log_audio`). */
export interface LogAudioOptions {
  /** Default: the file's base name, else `"audio"`. */
  name?: string;
  step?: number;
  timestamp?: Date | number;
  /** Sample rate of raw samples, in Hz. Default 44100. */
  sampleRate?: number;
  /** Extension (and `content_type`) for bytes or a path without extension. Default `wav`. */
  contentType?: string;
}

/** Options of `logVideo` (Polyaxon's `log_video`). */
export interface LogVideoOptions {
  /** Default: the file's base name, else `"video"`. */
  name?: string;
  step?: number;
  timestamp?: Date | number;
  /** Extension and `content_type` for bytes or a path without extension. Default `gif`. */
  contentType?: string;
}

/** Options of `logDataframe` (Polyaxon's `log_dataframe`). */
export interface LogDataframeOptions {
  step?: number;
  timestamp?: Date | number;
  /** `csv` or `html`. Default: `csv` (rows), else the file's extension when it is `csv` or `html`. */
  contentType?: "csv" | "html";
}

/** How much of a file is read for its header (a WAV `fmt `/`data` chunk, a GIF screen, an MP4 `moov` at the front). */
const HEAD_BYTES = 1 << 20;

interface Source {
  /** The encoded bytes, or the first {@link HEAD_BYTES} of the file. */
  bytes: Uint8Array;
  /** The whole file's size in bytes. */
  size: number;
  produce: (dest: string) => Promise<void>;
}

function fromPath(path: string, method: string): Source {
  if (!existsSync(path)) throw new ArtifactNotFoundError(`${method}: nothing exists at ${JSON.stringify(path)}; write the file first, or pass its bytes.`, path);
  const abs = resolve(path);
  const st = statSync(abs);
  if (!st.isFile()) throw new InvalidValueError(`${method}: ${abs} is not a regular file.`, abs);
  // Only the header is needed: a large video is copied, not held in memory.
  const fd = openSync(abs, "r");
  let head: Uint8Array;
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    head = buf.subarray(0, readSync(fd, buf, 0, HEAD_BYTES, 0));
  } finally {
    closeSync(fd);
  }
  return { bytes: head, size: st.size, produce: (dest) => copyPath(abs, dest) };
}

function fromBytes(bytes: Uint8Array): Source {
  return { bytes, size: bytes.length, produce: (dest) => fsp.writeFile(dest, bytes) };
}

const isSamples = (d: unknown): d is Float32Array | Float64Array | number[] => d instanceof Float32Array || d instanceof Float64Array || (Array.isArray(d) && d.every((v) => typeof v === "number"));

/**
 * `log_audio`: a file path, encoded bytes, or raw mono samples in [-1, 1] (encoded as a 16-bit
 * PCM WAV, as traceml does). The row's `sample_rate`, `num_channels` and `length_frames` come
 * from the WAV header when there is one.
 */
export async function logAudioEvent(assets: AssetLogger, data: string | Uint8Array | Float32Array | Float64Array | number[], opts: LogAudioOptions): Promise<LoggedAsset> {
  const m = "logAudio";
  const step = opts.step === undefined ? undefined : checkStep(opts.step, m);
  let src: Source;
  let name: string;
  let ext = opts.contentType ?? "wav";
  if (typeof data === "string") {
    src = fromPath(data, m);
    name = opts.name ?? baseFilename(data);
    ext = pathExtension(data) || ext;
  } else if (data instanceof Uint8Array) {
    src = fromBytes(data);
    name = opts.name ?? "audio";
  } else if (isSamples(data)) {
    src = fromBytes(encodeWav(data, opts.sampleRate ?? 44100));
    name = opts.name ?? "audio";
  } else {
    throw new InvalidValueError(`${m}: pass a file path, the encoded bytes (Uint8Array) or mono samples in [-1, 1] (Float32Array, Float64Array or number[]); got ${show(data)}.`, data);
  }
  const wav = readWavHeader(src.bytes, src.size);
  const value = (rel: string): AudioValue => {
    const v: AudioValue = wav ? { sample_rate: wav.sampleRate, num_channels: wav.numChannels, length_frames: wav.lengthFrames, path: rel } : { path: rel };
    const contentType = wav ? "audio/wav" : opts.contentType;
    if (contentType !== undefined) v.content_type = contentType;
    return v;
  };
  return assets.logEventAsset("audio", toFqnName(name), step, ext, src.produce, value, opts.timestamp, m);
}

/** `log_video`: a file path or encoded bytes; `height`/`width` filled from a GIF or MP4 header. */
export async function logVideoEvent(assets: AssetLogger, data: string | Uint8Array, opts: LogVideoOptions): Promise<LoggedAsset> {
  const m = "logVideo";
  const step = opts.step === undefined ? undefined : checkStep(opts.step, m);
  let src: Source;
  let name: string;
  let contentType = opts.contentType ?? "gif";
  if (typeof data === "string") {
    src = fromPath(data, m);
    name = opts.name ?? baseFilename(data);
    contentType = pathExtension(data) || contentType;
  } else if (data instanceof Uint8Array) {
    src = fromBytes(data);
    name = opts.name ?? "video";
  } else {
    throw new InvalidValueError(
      `${m}: pass a video file path or its encoded bytes (Uint8Array), got ${show(data)}; encode frames first (runtrail has no video encoder).`,
      data,
    );
  }
  const size = readVideoSize(src.bytes);
  const value = (rel: string): VideoValue => ({ ...(size && { height: size.height, width: size.width }), path: rel, content_type: contentType });
  return assets.logEventAsset("video", toFqnName(name), step, contentType, src.produce, value, opts.timestamp, m);
}

/**
 * `log_dataframe`: rows (written as pandas' `to_csv` writes them) or an existing `.csv`/`.html`
 * file, at `assets/dataframe/<name>[_<step>].<csv|html>` with one `dataframe` row.
 */
export async function logDataframeEvent(assets: AssetLogger, name: string, data: readonly DataframeRow[] | string, opts: LogDataframeOptions): Promise<LoggedAsset> {
  const m = "logDataframe";
  const step = opts.step === undefined ? undefined : checkStep(opts.step, m);
  const n = toFqnName(name);
  let contentType = opts.contentType;
  if (contentType !== undefined && contentType !== "csv" && contentType !== "html") {
    throw new InvalidValueError(`${m}: contentType must be "csv" or "html" (got ${show(contentType)}), as Polyaxon's log_dataframe.`, contentType);
  }
  let produce: (dest: string) => Promise<void>;
  if (typeof data === "string") {
    const src = fromPath(data, m);
    const ext = pathExtension(data);
    contentType ??= ext === "html" ? "html" : "csv";
    produce = src.produce;
  } else {
    if (contentType === "html") {
      throw new InvalidValueError(`${m}: rows are written as CSV; for contentType "html" pass the path of an HTML table you rendered.`, contentType);
    }
    contentType = "csv";
    const csv = rowsToCsv(data as DataframeRow[], m);
    produce = (dest) => fsp.writeFile(dest, csv);
  }
  const ct = contentType;
  return assets.logEventAsset("dataframe", n, step, ct, produce, (rel) => ({ path: rel, content_type: ct }), opts.timestamp, m);
}

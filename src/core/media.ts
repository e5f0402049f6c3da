import { InvalidValueError } from "./errors.js";

/** `V1EventAudio` (fields in Polyaxon's declared order); `path` is relative to the run root. */
export interface AudioValue {
  sample_rate?: number;
  num_channels?: number;
  length_frames?: number;
  path: string;
  content_type?: string;
}

/** `V1EventVideo`; `path` is relative to the run root. */
export interface VideoValue {
  height?: number;
  width?: number;
  colorspace?: number;
  path: string;
  content_type?: string;
}

/** What a WAV file's header says: `fmt ` and `data` chunks of a RIFF/WAVE file. */
export interface WavInfo {
  sampleRate: number;
  numChannels: number;
  lengthFrames: number;
}

const ascii = (b: Uint8Array, at: number, n: number): string => String.fromCharCode(...b.subarray(at, at + n));

/**
 * Reads the header of a RIFF/WAVE file from its first bytes; undefined when they are not one (or
 * stop before the data chunk). `fileSize` (default: the bytes given) counts the frames of a
 * streamed WAV whose data size says 0 or more than the file holds.
 */
export function readWavHeader(bytes: Uint8Array, fileSize = bytes.length): WavInfo | undefined {
  if (bytes.length < 12 || ascii(bytes, 0, 4) !== "RIFF" || ascii(bytes, 8, 4) !== "WAVE") return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { channels: number; rate: number; blockAlign: number } | undefined;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = ascii(bytes, at, 4);
    const size = view.getUint32(at + 4, true);
    if (id === "fmt " && at + 24 <= bytes.length) {
      fmt = { channels: view.getUint16(at + 10, true), rate: view.getUint32(at + 12, true), blockAlign: view.getUint16(at + 20, true) };
    } else if (id === "data" && fmt && fmt.blockAlign > 0) {
      // A streamed WAV may say 0 or 0xFFFFFFFF here: count what is actually there.
      const available = fileSize - (at + 8);
      const dataSize = size === 0 || size > available ? available : size;
      return { sampleRate: fmt.rate, numChannels: fmt.channels, lengthFrames: Math.floor(dataSize / fmt.blockAlign) };
    }
    at += 8 + size + (size % 2); // chunks are padded to an even size
  }
  return undefined;
}

/**
 * A mono 16-bit PCM WAV file of samples in [-1, 1], as traceml's `audio()` writes one: values
 * beyond ±1 are clipped, each sample is `int(32767.0 * x)` (truncated toward zero).
 */
export function encodeWav(samples: ArrayLike<number>, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new InvalidValueError(`logAudio: sampleRate must be a positive integer (got ${sampleRate}).`, sampleRate);
  const n = samples.length;
  const out = new Uint8Array(44 + 2 * n);
  const v = new DataView(out.buffer);
  const put = (at: number, s: string): void => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  put(0, "RIFF");
  v.setUint32(4, 36 + 2 * n, true);
  put(8, "WAVEfmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  put(36, "data");
  v.setUint32(40, 2 * n, true);
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    if (!Number.isFinite(x)) throw new InvalidValueError(`logAudio: sample ${i} is ${x}; samples must be finite numbers in [-1, 1].`, x);
    v.setInt16(44 + 2 * i, Math.trunc(32767 * Math.max(-1, Math.min(1, x))), true);
  }
  return out;
}

/** Width and height of a GIF (logical screen) or an MP4/MOV (first track header with a size); undefined otherwise. */
export function readVideoSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length >= 10 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) {
    return { width: bytes[6]! | (bytes[7]! << 8), height: bytes[8]! | (bytes[9]! << 8) };
  }
  return findTkhdSize(bytes, 0, bytes.length, 0);
}

const CONTAINER_BOXES = new Set(["moov", "trak"]);

/** Walks ISO-BMFF boxes (`moov` → `trak` → `tkhd`): width and height are 16.16 fixed point at the end of `tkhd`. */
function findTkhdSize(b: Uint8Array, start: number, end: number, depth: number): { width: number; height: number } | undefined {
  if (depth > 4) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = start; at + 8 <= end; ) {
    let size = view.getUint32(at);
    const type = ascii(b, at + 4, 4);
    let header = 8;
    if (size === 1 && at + 16 <= end) {
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) size = end - at;
    if (size < header || at + size > end) return undefined;
    if (type === "tkhd" && size >= 92) {
      const w = view.getUint32(at + size - 8) / 65536;
      const h = view.getUint32(at + size - 4) / 65536;
      if (w > 0 && h > 0) return { width: Math.round(w), height: Math.round(h) };
    } else if (CONTAINER_BOXES.has(type)) {
      const found = findTkhdSize(b, at + header, at + size, depth + 1);
      if (found) return found;
    }
    at += size;
  }
  return undefined;
}

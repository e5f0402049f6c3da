// Peak RSS of inspectOnnx on a 1 GiB model (weights inline, as raw_data) against onnxruntime-node
// loading the same model alone, each in a fresh process, median of repeats. Also measured: the
// decoder alone (`load: false`) against a bare process with the same modules imported, and the
// previous way (read the whole file, decode the bytes, then load) for comparison.
//
// The model is written here, under .bench-tmp/, by streaming its protobuf: 4 float32
// initializers of 256 MiB, each read by a Gather on a fed index (nothing constant-folds).
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProtoWriter } from "../src/adapters/onnx/protobuf-writer.js";
import { median, type BenchResult } from "./machine.js";

const TENSORS = 4;
const ELEMENTS = 64 * 1024 * 1024; // 256 MiB of float32 per tensor, 1 GiB in all
const REPEATS = 3;
/** inspectOnnx may add at most this fraction of the file size on top of onnxruntime alone. */
const MAX_EXTRA = 0.1;

type Mode = "bare" | "decode" | "ort" | "inspect" | "whole-file";

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** The key and length prefix of a length-delimited field. */
const lenPrefix = (field: number, length: number): Uint8Array => Uint8Array.from([...varint(field * 8 + 2), ...varint(length)]);

function valueInfo(w: ProtoWriter, name: string, elemType: number, dim: string): void {
  w.string(1, name).message(2, (t) => t.message(1, (tt) => tt.varint(1, elemType).message(2, (s) => s.message(1, (d) => d.string(2, dim)))));
}

/** Writes the model without ever holding a tensor in memory: payloads go out in 4 MiB chunks. */
export function writeLargeModel(path: string): number {
  const tensorHeaders = Array.from({ length: TENSORS }, (_, i) => {
    const head = new ProtoWriter().varint(1, ELEMENTS).varint(2, 1).string(8, `w${i}`).finish();
    const raw = lenPrefix(9, ELEMENTS * 4);
    const tensorLength = head.length + raw.length + ELEMENTS * 4;
    return { prefix: lenPrefix(5, tensorLength), head, raw };
  });
  const small = new ProtoWriter();
  for (let i = 0; i < TENSORS; i++) small.message(1, (n) => n.string(1, `w${i}`).string(1, "idx").string(2, `g${i}`).string(4, "Gather"));
  small.message(1, (n) => {
    for (let i = 0; i < TENSORS; i++) n.string(1, `g${i}`);
    n.string(2, "Y").string(4, "Sum");
  });
  small.string(2, "large_model");
  small.message(11, (v) => valueInfo(v, "idx", 7, "K"));
  small.message(12, (v) => valueInfo(v, "Y", 1, "K"));
  const graphSmall = small.finish();
  const graphLength = graphSmall.length + tensorHeaders.reduce((s, t) => s + t.prefix.length + t.head.length + t.raw.length + ELEMENTS * 4, 0);
  const modelHead = new ProtoWriter()
    .varint(1, 8)
    .string(2, "runtrail-bench")
    .message(8, (o) => o.string(1, "").varint(2, 13))
    .finish();

  const chunk = new Float32Array(1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = Math.sin(i) * 0.01;
  const chunkBytes = new Uint8Array(chunk.buffer);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, modelHead);
    writeSync(fd, lenPrefix(7, graphLength));
    writeSync(fd, graphSmall);
    for (const t of tensorHeaders) {
      writeSync(fd, t.prefix);
      writeSync(fd, t.head);
      writeSync(fd, t.raw);
      for (let done = 0; done < ELEMENTS * 4; done += chunkBytes.length) writeSync(fd, chunkBytes);
    }
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

let wholeFile: Buffer | undefined;

/** Child mode: does one thing to the model, then prints its peak RSS in bytes. */
async function child(mode: Mode, path: string): Promise<void> {
  const onnx = await import("../src/adapters/onnx.js");
  const { loadOrt, SESSION_OPTIONS } = await import("../src/adapters/onnx/ort.js");
  if (mode === "decode") await onnx.inspectOnnx(path, { load: false });
  if (mode === "inspect") await onnx.inspectOnnx(path);
  if (mode === "ort" || mode === "whole-file") {
    if (mode === "whole-file") {
      wholeFile = readFileSync(path); // held until the end, as the previous inspectOnnx did
      await onnx.inspectOnnx(wholeFile, { load: false });
    }
    const session = await loadOrt().InferenceSession.create(path, { ...SESSION_OPTIONS });
    await session.release();
  }
  process.stdout.write(`${process.resourceUsage().maxRSS * 1024}\n`);
  wholeFile = undefined;
}

function peakRss(mode: Mode, path: string): number {
  const res = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--rss-child", mode, path], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 10 * 60_000,
  });
  if (res.status !== 0) throw new Error(`the ${mode} child failed (status ${res.status}, signal ${res.signal})`);
  return Number(res.stdout.trim().split("\n").at(-1));
}

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;
const signedMb = (b: number): string => `${b < 0 ? "−" : "+"}${mb(Math.abs(b))}`;

/** The suite: rows for bench/run.ts. */
export async function runOnnxInspectBench(workRoot = join(process.cwd(), ".bench-tmp")): Promise<BenchResult[]> {
  const dir = join(workRoot, "onnx-inspect");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "model-1gib.onnx");
  try {
    const size = writeLargeModel(path);
    const runs: Record<Mode, number[]> = { bare: [], decode: [], ort: [], inspect: [], "whole-file": [] };
    for (let r = 0; r < REPEATS; r++) {
      // Alternating order, so neither side always runs with a warmer page cache.
      const order: Mode[] = r % 2 ? ["inspect", "ort", "decode", "bare", "whole-file"] : ["ort", "inspect", "bare", "decode", "whole-file"];
      for (const mode of order) runs[mode].push(peakRss(mode, path));
      process.stderr.write(`  onnx-inspect repeat ${r + 1}: ${order.map((m) => `${m} ${mb(runs[m].at(-1)!)}`).join(", ")}\n`);
    }
    const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)])) as Record<Mode, number>;
    const extra = (m.inspect - m.ort) / size;
    const decodeExtra = (m.decode - m.bare) / size;
    return [
      {
        name: `inspectOnnx peak RSS, ${mb(size)} model (vs onnxruntime-node loading it alone)`,
        figure: `${mb(m.inspect)} vs ${mb(m.ort)} (${signedMb(m.inspect - m.ort)}, ${(extra * 100).toFixed(1)}% of the file)`,
        ratio: m.inspect / m.ort,
        target: `extra ≤ ${MAX_EXTRA * 100}% of the file`,
        met: extra <= MAX_EXTRA,
        details: `fresh process per measurement, median of ${REPEATS}; the previous whole-file decoder peaked at ${mb(m["whole-file"])}`,
      },
      {
        name: `inspectOnnx({ load: false }) peak RSS, ${mb(size)} model (vs the same process without decoding)`,
        figure: `${mb(m.decode)} vs ${mb(m.bare)} (${signedMb(m.decode - m.bare)})`,
        ratio: m.decode / m.bare,
        target: `extra ≤ ${MAX_EXTRA * 100}% of the file`,
        met: decodeExtra <= MAX_EXTRA,
        details: `decoder and streamed md5 only; tensor payloads are skipped`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--rss-child") await child(process.argv[3] as Mode, process.argv[4]!);

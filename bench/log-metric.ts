// logMetric hot path against pino writing the same data to a file, and against the write-only
// limit: the same rows preformatted, written in 64 KiB chunks with fs.writeSync.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { init } from "../src/index.js";
import { pyFloatRepr, pyTimestamp } from "../src/core/events/pyformat.js";
import { machineLine, median, type BenchResult } from "./machine.js";

const N = 1_000_000;
const REPEATS = 5;
const value = (i: number): number => Math.sin(i) * 0.5 + 0.5;

async function runtrailOnce(dir: string): Promise<number> {
  const run = await init({ offlineRoot: dir, flushIntervalMs: 1000, handleExit: false });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) run.logMetric("loss", value(i), { step: i });
  await run.flush();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await run.end();
  return ms;
}

async function pinoOnce(dir: string): Promise<number> {
  const dest = pino.destination({ dest: join(dir, `pino-${Math.random()}.log`), minLength: 4096, sync: false });
  const logger = pino({ base: null }, dest);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) logger.info({ name: "loss", step: i, value: value(i) });
  await new Promise<void>((resolve) => dest.flush(() => resolve()));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  dest.end();
  return ms;
}

function writeLimitOnce(dir: string, rows: string[]): number {
  const fd = openSync(join(dir, `limit-${Math.random()}.plx`), "w");
  const t0 = process.hrtime.bigint();
  let chunk = "step|timestamp|metric";
  for (let i = 0; i < rows.length; i++) {
    chunk += rows[i];
    if (chunk.length >= 65536) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  if (chunk) writeSync(fd, chunk);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(fd);
  return ms;
}

/**
 * The formatting logMetric must do and the write-only limit does not: each row built from its
 * numbers (step, Python `str(datetime)` timestamp, Python `repr(float)` value) and appended to a
 * chunk that is dropped at 64 KiB, without encoding or writing it.
 */
function formatOnlyOnce(): number {
  const t0 = process.hrtime.bigint();
  let chunk = "";
  let chars = 0;
  for (let i = 0; i < N; i++) {
    chunk += "\n" + i + "|" + pyTimestamp(Date.now()) + "|" + pyFloatRepr(value(i));
    if (chunk.length >= 65536) {
      chars += chunk.length;
      chunk = "";
    }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (chars + chunk.length === 0) throw new Error("nothing formatted");
  return ms;
}

/** Runs the contenders alternately and reports events/s and the two ratios. */
export async function runLogMetricBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-bench-"));
  try {
    const ts = pyTimestamp(Date.now());
    const rows = Array.from({ length: N }, (_, i) => `\n${i}|${ts}|${pyFloatRepr(value(i))}`);
    const t: Record<string, number[]> = { runtrail: [], pino: [], limit: [], format: [] };
    await runtrailOnce(dir); // warm-up
    await pinoOnce(dir);
    for (let r = 0; r < REPEATS; r++) {
      t.runtrail!.push(await runtrailOnce(dir));
      t.pino!.push(await pinoOnce(dir));
      t.limit!.push(writeLimitOnce(dir, rows));
      t.format!.push(formatOnlyOnce());
    }
    const eps = (k: string): number => N / (median(t[k]!) / 1000);
    const vsPino = eps("runtrail") / eps("pino");
    const vsLimit = eps("runtrail") / eps("limit");
    const fmt = (x: number): string => `${(x / 1e6).toFixed(2)} M events/s`;
    const ns = (k: string): number => (median(t[k]!) * 1e6) / N;
    // A writer that formats in JS pays at least formatting + writing per row, so it cannot beat this share of the limit.
    const ceiling = ns("limit") / (ns("limit") + ns("format"));
    const details =
      `runtrail ${fmt(eps("runtrail"))}, pino ${fmt(eps("pino"))}, write-only limit ${fmt(eps("limit"))} (median of ${REPEATS} × ${N} rows); ` +
      `per row: logMetric ${ns("runtrail").toFixed(0)} ns, formatting alone ${ns("format").toFixed(0)} ns, writing alone ${ns("limit").toFixed(0)} ns ` +
      `(formatting + writing caps any JS formatter at ${(ceiling * 100).toFixed(0)}% of the limit)`;
    return [
      { name: "logMetric vs pino (events/s)", figure: `${vsPino.toFixed(2)}×`, ratio: vsPino, target: "≥ 5×", met: vsPino >= 5, details },
      { name: "logMetric vs write-only limit", figure: `${(vsLimit * 100).toFixed(0)}%`, ratio: vsLimit, target: "≥ 25%", met: vsLimit >= 0.25, details },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.log(machineLine());
  for (const r of await runLogMetricBench()) console.log(`${r.name}: ${r.figure} (target ${r.target}) — ${r.details}`);
}

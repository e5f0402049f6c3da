import { cpus, totalmem } from "node:os";

/** One line describing where a benchmark ran. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? "unknown cpu";
  return `${cpu} × ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A benchmark's figure: a ratio to its baseline measured in the same script, and its target. */
export interface BenchResult {
  name: string;
  figure: string;
  ratio: number;
  target: string;
  met: boolean;
  details: string;
}

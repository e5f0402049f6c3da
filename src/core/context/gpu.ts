import type { ChildProcess } from "node:child_process";
import { lazyChildProcess } from "../builtins.js";
import type { Socket } from "node:net";

/** One GPU as `nvidia-smi` reports it; memory in bytes, utilization in %. */
export interface GpuSample {
  index: number;
  utilization: number;
  memoryUsed: number;
  memoryFree: number;
}

const QUERY = ["--query-gpu=index,utilization.gpu,memory.used,memory.free", "--format=csv,noheader,nounits"];
const MIB = 1024 * 1024;

/** Parses `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.free --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(stdout: string): GpuSample[] {
  const out: GpuSample[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== 4) continue;
    const [index, util, used, free] = cells.map(Number) as [number, number, number, number];
    if (!Number.isInteger(index)) continue;
    // "[N/A]" (a GPU that does not report a value) becomes NaN and is skipped by the sampler.
    out.push({ index, utilization: util, memoryUsed: used * MIB, memoryFree: free * MIB });
  }
  return out;
}

/**
 * Queries `nvidia-smi` without blocking: one child process at a time, killed after `timeoutMs`.
 * A missing binary turns GPU sampling off for good; a failing or hung one costs one skipped sample.
 */
export class GpuProbe {
  private running = false;
  private missing = false;
  private child: ChildProcess | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly command = "nvidia-smi",
  ) {}

  /** False once `nvidia-smi` turned out not to exist. */
  get available(): boolean {
    return !this.missing;
  }

  /** Calls `done` with the samples (never with an error); does nothing while a query is still running. */
  query(done: (samples: GpuSample[]) => void): void {
    if (this.missing || this.running) return;
    this.running = true;
    let child: ChildProcess;
    try {
      child = lazyChildProcess().execFile(this.command, QUERY, { timeout: this.timeoutMs, killSignal: "SIGKILL", windowsHide: true }, (err, stdout) => {
        this.running = false;
        this.child = undefined;
        if (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") this.missing = true;
          return;
        }
        done(parseNvidiaSmi(String(stdout)));
      });
    } catch {
      this.running = false;
      this.missing = true;
      return;
    }
    // A sample must never keep the process alive.
    child.unref();
    for (const s of [child.stdout, child.stderr]) (s as Socket | null)?.unref?.();
    this.child = child;
  }

  /** Kills a query still running (at the end of the run). */
  stop(): void {
    this.missing = true;
    const child = this.child;
    this.child = undefined;
    // Only a process that really started: a spawn that failed (ENOENT, not yet reported) has pid 0
    // inside libuv, and kill(0, SIGKILL) would kill our whole process group.
    if (child && typeof child.pid === "number" && child.pid > 0 && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

import { cpus, freemem, loadavg, totalmem } from "node:os";
import type { IntervalHistogram } from "node:perf_hooks";
import { lazyPerfHooks } from "../builtins.js";
import type { RunWriteError } from "../errors.js";
import { pyFloatRepr, pyTimestamp } from "../events/pyformat.js";
import { EventWriter } from "../events/writer.js";
import { RunLayout } from "../paths.js";
import { GpuProbe, type GpuSample } from "./gpu.js";

/**
 * The streams under `resources/metric/`. Polyaxon's names first (its psutil and GPU processors),
 * then what a Node process needs and Polyaxon cannot know.
 */
export const RESOURCE_STREAMS = {
  cpu: "CPU use of the whole machine, % of all cores (psutil.cpu_percent)",
  memory: "RAM in use, % of the total (psutil.virtual_memory().percent: total minus available)",
  load: "1-minute load average (not on Windows)",
  "gpu_<i>_utilization": "GPU i utilization, % (nvidia-smi)",
  "gpu_<i>_memory_used": "GPU i memory used, bytes (nvidia-smi)",
  "gpu_<i>_memory_free": "GPU i memory free, bytes (nvidia-smi)",
  process_cpu: "CPU time of this process (user + system) over the interval, % of one core",
  process_rss: "resident set size of this process, bytes",
  process_heap_used: "V8 heap in use, bytes",
  event_loop_delay: "mean event-loop delay over the interval, ms",
  event_loop_delay_max: "largest event-loop delay over the interval, ms",
} as const;

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/**
 * Samples system resources every `intervalMs` into `resources/metric/<name>.plx`, as metric rows
 * without a step (Polyaxon's `ResourceWriterThread`), written to disk after every sample. Reads
 * only counters the OS keeps anyway (no busy sampling); `nvidia-smi` runs in a child process with
 * a timeout and its rows arrive when it answers. Nothing here keeps the process alive.
 */
export class ResourceSampler {
  private readonly writer: EventWriter;
  private readonly gpu: GpuProbe;
  private readonly delay: IntervalHistogram;
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = cpuTimes();
  private lastProc = process.cpuUsage();
  private lastAt = performance.now();

  constructor(
    runPath: string,
    private readonly intervalMs: number,
    private readonly onError: (err: RunWriteError) => void,
    gpuCommand?: string,
  ) {
    this.writer = new EventWriter(runPath, 0, RunLayout.resources);
    this.gpu = new GpuProbe(Math.min(5000, Math.max(100, intervalMs / 2)), gpuCommand);
    this.delay = lazyPerfHooks().monitorEventLoopDelay({ resolution: 20 });
  }

  start(): void {
    if (this.timer) return;
    this.delay.enable();
    this.lastCpu = cpuTimes();
    this.lastProc = process.cpuUsage();
    this.lastAt = performance.now();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes one sample now (also called by the timer); `withGpu: false` skips the `nvidia-smi` query. */
  sample(withGpu = true): void {
    const now = Date.now();
    const at = performance.now();
    const elapsedMs = at - this.lastAt;
    if (elapsedMs <= 0) return;
    const values: Array<[string, number]> = [];
    const c = cpuTimes();
    const dTotal = c.total - this.lastCpu.total;
    if (dTotal > 0) values.push(["cpu", (100 * (dTotal - (c.idle - this.lastCpu.idle))) / dTotal]);
    values.push(["memory", (100 * (totalmem() - freemem())) / totalmem()]);
    if (process.platform !== "win32") values.push(["load", loadavg()[0]!]);
    const p = process.cpuUsage(this.lastProc);
    values.push(["process_cpu", ((p.user + p.system) / 1000 / elapsedMs) * 100]);
    const mem = process.memoryUsage();
    values.push(["process_rss", mem.rss], ["process_heap_used", mem.heapUsed]);
    if (this.delay.count > 0) values.push(["event_loop_delay", this.delay.mean / 1e6], ["event_loop_delay_max", this.delay.max / 1e6]);
    this.delay.reset();
    this.lastCpu = c;
    this.lastProc = process.cpuUsage();
    this.lastAt = at;
    this.write(now, values);
    if (withGpu) this.gpu.query((gpus) => this.writeGpus(gpus));
  }

  private writeGpus(gpus: GpuSample[]): void {
    if (!this.timer) return; // answered after stop()
    const values: Array<[string, number]> = [];
    for (const g of gpus) {
      values.push([`gpu_${g.index}_utilization`, g.utilization], [`gpu_${g.index}_memory_used`, g.memoryUsed], [`gpu_${g.index}_memory_free`, g.memoryFree]);
    }
    this.write(Date.now(), values);
  }

  private write(now: number, values: Array<[string, number]>): void {
    const ts = pyTimestamp(now);
    for (const [name, v] of values) {
      if (Number.isFinite(v)) this.writer.append(this.writer.stream("metric", name), `\n|${ts}|${pyFloatRepr(v)}`);
    }
    try {
      this.writer.flushSync();
    } catch (err) {
      this.onError(err as RunWriteError);
    }
  }

  /** Stops sampling; a last sample is taken when at least a second passed since the previous one. */
  stop(): void {
    if (!this.timer) return;
    // No nvidia-smi here: stop() also runs in exit hooks, where no child process may be started.
    if (performance.now() - this.lastAt >= 1000) this.sample(false);
    clearInterval(this.timer);
    this.timer = undefined;
    this.gpu.stop();
    this.delay.disable();
    this.writer.close();
  }

  /** Writes rows still buffered (after a failed write). */
  flushQuietly(): void {
    this.writer.flushQuietly();
  }
}

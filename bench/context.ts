// What recording the context costs: resource sampling at the default interval (CPU time as a %
// of one core) and a 100,000-line print loop with log capture on vs off.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ResourceSampler } from "../src/core/context/resources.js";
import { machineLine, median, type BenchResult } from "./machine.js";

const DEFAULT_INTERVAL_MS = 10_000;
const SAMPLES = 300;
const IDLE_MS = 2_000;
const MONITOR_PAIRS = 5;
const PAIRS = 7;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU ms of one sample (median of batches), measured by calling the sampler directly. */
function perSampleCpuMs(dir: string): number {
  const s = new ResourceSampler(join(dir, "run"), DEFAULT_INTERVAL_MS, (e) => {
    throw e;
  });
  s.start();
  s.sample(); // first call: opens the files, learns whether nvidia-smi exists
  const batches: number[] = [];
  for (let b = 0; b < 10; b++) {
    const c0 = cpuMs();
    for (let i = 0; i < SAMPLES / 10; i++) s.sample();
    batches.push((cpuMs() - c0) / (SAMPLES / 10));
  }
  s.stop();
  return median(batches);
}

/**
 * A plain `node` process that idles with and without an event-loop-delay monitor (its 20 ms
 * timer), alternating, and prints the median extra CPU ms per second. Not measured in this
 * process: under tsx an idle process is not idle (its loader compiles and caches in the
 * background), which swamps a cost of a few ms per second.
 */
const MONITOR_CHILD = `
const { monitorEventLoopDelay } = require("node:perf_hooks");
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const idle = (ms) => new Promise((r) => { const c0 = cpu(); setTimeout(() => r(cpu() - c0), ms); });
(async () => {
  const extra = [];
  for (let i = 0; i < ${MONITOR_PAIRS}; i++) {
    const off = await idle(${IDLE_MS});
    const h = monitorEventLoopDelay({ resolution: 20 });
    h.enable();
    const on = await idle(${IDLE_MS});
    h.disable();
    extra.push((on - off) / (${IDLE_MS} / 1000));
  }
  extra.sort((a, b) => a - b);
  console.log(JSON.stringify(extra[extra.length >> 1]));
})();
`;

/** CPU ms per second an idle process spends on the event-loop-delay monitor (see {@link MONITOR_CHILD}). */
function delayMonitorCpuMsPerSecond(): number {
  const r = spawnSync(process.execPath, ["-e", MONITOR_CHILD], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`monitor child failed: ${r.stderr}`);
  return Math.max(0, JSON.parse(r.stdout) as number);
}

function printOnce(mode: "on" | "off", dir: string): Promise<{ ms: number; cpuMs: number }> {
  const script = fileURLToPath(new URL("./context-print-child.ts", import.meta.url));
  const out = join(dir, `r-${mode}-${Math.random()}.json`);
  const sink = openSync(join(dir, `stdout-${mode}.txt`), "w"); // a file, as `node train.js > train.log`
  const tsx = pathToFileURL(join(process.cwd(), "node_modules/tsx/dist/loader.mjs")).href;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", tsx, script, mode, join(dir, "plx"), out], { stdio: ["ignore", sink, "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => {
      closeSync(sink);
      if (code !== 0) return reject(new Error(`print child (${mode}) exited with ${code}`));
      resolve(JSON.parse(readFileSync(out, "utf8")) as { ms: number; cpuMs: number });
    });
  });
}

/** Runs both measurements and returns the two rows. */
export async function runContextBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-bench-context-"));
  const loadBefore = loadavg()[0]!.toFixed(2);
  try {
    const sampleMs = perSampleCpuMs(dir);
    const monitorMsPerS = delayMonitorCpuMsPerSecond();
    const costPct = ((sampleMs / (DEFAULT_INTERVAL_MS / 1000) + monitorMsPerS) / 1000) * 100;
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    const ons: number[] = [];
    const offs: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const off = await printOnce("off", dir);
      const on = await printOnce("on", dir);
      offs.push(off.ms);
      ons.push(on.ms);
      ratios.push(on.ms / off.ms);
      cpuRatios.push(on.cpuMs / off.cpuMs);
    }
    const slowdown = median(ratios);
    const load = `load ${loadBefore}→${loadavg()[0]!.toFixed(2)}`;
    return [
      {
        name: "resource sampling at the default 10 s interval (CPU, % of one core)",
        figure: `${costPct.toFixed(3)}%`,
        ratio: costPct / 100,
        target: "≤ 0.5%",
        met: costPct <= 0.5,
        details: `${sampleMs.toFixed(3)} ms CPU per sample (median of ${SAMPLES}), event-loop-delay monitor ${monitorMsPerS.toFixed(3)} ms CPU/s (median of ${MONITOR_PAIRS} idle pairs in a plain node process); no nvidia-smi here; ${load}; ${machineLine()}`,
      },
      {
        name: "100,000 printed lines, log capture on vs off",
        figure: `${slowdown.toFixed(2)}×`,
        ratio: slowdown,
        target: "≤ 1.5×",
        met: slowdown <= 1.5,
        details: `median of ${PAIRS} pair ratios of wall time; on ${median(ons).toFixed(0)} ms vs off ${median(offs).toFixed(0)} ms (stdout to a file); in CPU time ${median(cpuRatios).toFixed(2)}×; ${load}; ${machineLine()}`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await runContextBench()) console.log(`${r.name}: ${r.figure} (target ${r.target}) — ${r.details}`);
}

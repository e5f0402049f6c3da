import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRun, parseEvents } from "../../src/index.js";
import { ResourceSampler } from "../../src/core/context/resources.js";
import { parseNvidiaSmi } from "../../src/core/context/gpu.js";
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { donePath, ROOT, runToEnd, spawnContextChild } from "./helpers.js";
import { useTmp } from "../helpers/tmp.js";

const tmp = useTmp();
const TS = "\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{6}\\+00:00";
/** Python `repr(float)`: digits with a dot or an exponent, or nan/inf. */
const PY_FLOAT = "(-?\\d+\\.\\d+(e[+-]\\d\\d+)?|-?\\d(\\.\\d+)?e[+-]\\d\\d+|nan|-?inf)";
const ROW = new RegExp(`^\\|${TS}\\|${PY_FLOAT}$`);
const quiet = { collectLogs: false, trackCode: false, trackEnv: false };

describe("resources/ (child processes)", () => {
  it("rows without a step at the interval, in the byte format of events/, and system lineage at end()", async () => {
    const root = tmp();
    const res = await runToEnd(spawnContextChild("print", { offlineRoot: root, ...quiet, resourcesIntervalMs: 200, waitMs: 1500 }));
    expect(res.code).toBe(0);
    const run = donePath(res.stdout);
    const names = readdirSync(join(run, "resources/metric")).sort();
    for (const n of ["cpu", "memory", "load", "process_cpu", "process_rss", "process_heap_used"]) expect(names).toContain(`${n}.plx`);
    for (const f of names) {
      const text = readFileSync(join(run, "resources/metric", f), "utf8");
      // Same bytes as an events/ metric file: header, "\n"-prefixed rows, no trailing newline.
      expect(text.startsWith("step|timestamp|metric\n")).toBe(true);
      expect(text.endsWith("\n")).toBe(false);
      const rows = text.split("\n").slice(1);
      for (const r of rows) expect(r).toMatch(ROW);
      const parsed = parseEvents<number>("metric", text).rows;
      expect(parsed.every((r) => r.step === null && Number.isFinite(r.value))).toBe(true);
    }
    const cpu = parseEvents<number>("metric", readFileSync(join(run, "resources/metric/cpu.plx"), "utf8")).rows;
    // 1.5 s at 200 ms: several samples (a loaded machine delays timers, never adds them), spaced by the interval.
    expect(cpu.length).toBeGreaterThanOrEqual(3);
    const gaps = cpu.slice(1).map((r, i) => r.timestamp.getTime() - cpu[i]!.timestamp.getTime());
    expect(Math.min(...gaps.slice(0, -1))).toBeGreaterThanOrEqual(150);
    expect(cpu.every((r) => r.value >= 0 && r.value <= 100)).toBe(true);
    const rss = parseEvents<number>("metric", readFileSync(join(run, "resources/metric/process_rss.plx"), "utf8")).rows;
    expect(rss[0]!.value).toBeGreaterThan(10 * 1024 * 1024);

    const { lineage } = await loadRun(run);
    const system = lineage.filter((r) => r.kind === "system").map((r) => [r.name, r.path]);
    expect(system).toContainEqual(["cpu", "resources/metric/cpu.plx"]);
    expect(system).toContainEqual(["memory", "resources/metric/memory.plx"]);
    const cpuRec = lineage.find((r) => r.kind === "system" && r.name === "cpu")!;
    expect((cpuRec.summary!.metric as { count: number }).count).toBe(cpu.length);
  });

  it("collectResources: false, or POLYAXON_COLLECT_RESOURCES=false, writes no resources/", async () => {
    const root = tmp();
    const off = await runToEnd(spawnContextChild("print", { offlineRoot: root, ...quiet, collectResources: false, resourcesIntervalMs: 100, waitMs: 400 }));
    expect(existsSync(join(donePath(off.stdout), "resources"))).toBe(false);
    const env = { ...process.env, POLYAXON_COLLECT_RESOURCES: "false" };
    const offByEnv = await runToEnd(spawnContextChild("print", { offlineRoot: root, ...quiet, resourcesIntervalMs: 100, waitMs: 400 }, { env }));
    expect(existsSync(join(donePath(offByEnv.stdout), "resources"))).toBe(false);
  });
});

describe("GPU sampling through nvidia-smi", () => {
  it("parses nvidia-smi's CSV into Polyaxon's gpu_<i>_* values (memory in bytes)", () => {
    expect(parseNvidiaSmi("0, 37, 1024, 15136\n1, [N/A], 0, 16160\n")).toEqual([
      { index: 0, utilization: 37, memoryUsed: 1024 * 1048576, memoryFree: 15136 * 1048576 },
      { index: 1, utilization: Number.NaN, memoryUsed: 0, memoryFree: 16160 * 1048576 },
    ]);
  });

  // There is no GPU on these machines: an executable that prints what nvidia-smi prints stands in
  // for it, and one that hangs shows that a stuck nvidia-smi costs nothing.
  it("writes gpu rows from nvidia-smi's answer; a hung or missing nvidia-smi never blocks sampling", async () => {
    const dir = tmp();
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const answering = join(bin, "smi-answers");
    writeFileSync(answering, "#!/bin/sh\necho '0, 42, 2048, 14000'\n");
    const hanging = join(bin, "smi-hangs");
    writeFileSync(hanging, "#!/bin/sh\nexec sleep 30\n");
    chmodSync(answering, 0o755);
    chmodSync(hanging, 0o755);

    for (const [cmd, expectGpu] of [[answering, true], [hanging, false], [join(bin, "missing"), false]] as const) {
      const run = join(dir, `run-${expectGpu}-${cmd.length}`);
      const errors: unknown[] = [];
      const s = new ResourceSampler(run, 100, (e) => errors.push(e), cmd);
      s.start();
      const t0 = Date.now();
      let ticks = 0;
      // The event loop keeps turning while nvidia-smi runs (or hangs).
      await new Promise<void>((resolve) => {
        const iv = setInterval(() => {
          ticks++;
          if (Date.now() - t0 > 700) {
            clearInterval(iv);
            resolve();
          }
        }, 10);
      });
      s.stop();
      expect(ticks).toBeGreaterThan(10);
      expect(errors).toEqual([]);
      const cpuRows = readFileSync(join(run, "resources/metric/cpu.plx"), "utf8").split("\n").length - 1;
      expect(cpuRows).toBeGreaterThanOrEqual(2);
      const gpuFile = join(run, "resources/metric/gpu_0_utilization.plx");
      expect(existsSync(gpuFile)).toBe(expectGpu);
      if (expectGpu) {
        const rows = parseEvents<number>("metric", readFileSync(gpuFile, "utf8")).rows;
        expect(rows.length).toBeGreaterThanOrEqual(1);
        expect(rows[0]!.value).toBe(42);
        expect(readFileSync(join(run, "resources/metric/gpu_0_memory_used.plx"), "utf8")).toContain("|2147483648.0");
      }
    }
  });
});

describe("stopping right after a sample", () => {
  // Regression: killing an nvidia-smi whose spawn had failed but not yet been reported sent
  // SIGKILL to pid 0, i.e. to the whole process group.
  it("a missing nvidia-smi still being spawned is not killed (the process survives stop())", async () => {
    const dir = tmp();
    const script = join(dir, "stop-now.ts");
    const sampler = pathToFileURL(join(ROOT, "src/core/context/resources.ts")).href;
    writeFileSync(
      script,
      `import { ResourceSampler } from ${JSON.stringify(sampler)};\n` +
        `for (let i = 0; i < 20; i++) { const s = new ResourceSampler(${JSON.stringify(join(dir, "run"))} + i, 10000, () => {}, "nvidia-smi-missing-" + i); s.start(); s.sample(); s.stop(); }\n` +
        `console.log("alive");\n`,
    );
    const tsx = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
    const res = await runToEnd(spawn(process.execPath, ["--import", tsx, script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true }));
    expect(res.stdout.toString()).toBe("alive\n");
    expect(res.code).toBe(0);
  });
});

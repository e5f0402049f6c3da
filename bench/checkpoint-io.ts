// Versioned logModel copy of a 256 MB checkpoint against `cp`, and saveModel against a bare save
// of the same bytes. Both in one script, alternating, median of repeats.
import { execFileSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { constants as fsConstants } from "node:fs";
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { init } from "../src/index.js";
import { machineLine, median, type BenchResult } from "./machine.js";

const SIZE = 256 * 1024 * 1024;
const REPEATS = 7;

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Runs both comparisons; the work folder is created next to the repository (same disk as runs usually are). */
export async function runCheckpointIoBench(workRoot = join(process.cwd(), ".bench-tmp")): Promise<BenchResult[]> {
  mkdirSync(workRoot, { recursive: true });
  const dir = mkdtempSync(join(workRoot, "ckpt-"));
  try {
    const bytes = randomFillSync(Buffer.allocUnsafe(SIZE));
    const src = join(dir, "checkpoint.bin");
    writeFileSync(src, bytes);
    const run = await init({ offlineRoot: join(dir, "plx"), handleExit: false });
    const cp: number[] = [];
    const copy: number[] = [];
    const rawCopy: number[] = [];
    const bare: number[] = [];
    const save: number[] = [];
    // Each pair runs back to back, in alternating order, so neither side always follows the
    // other's writeback; the ratio is the median of the per-pair ratios (drift cancels).
    const cpOnce = async (r: number): Promise<void> => {
      const dest = join(dir, `cp-${r}.bin`);
      const t0 = process.hrtime.bigint();
      execFileSync("cp", [src, dest]);
      cp.push(ms(t0));
      rmSync(dest);
    };
    const copyOnce = async (r: number): Promise<void> => {
      const t0 = process.hrtime.bigint();
      await run.logModel({ path: src, name: "copied", step: r, framework: "custom" });
      copy.push(ms(t0));
      await run.flush(); // the deferred hash runs outside the timed window
      rmSync(join(run.artifactsPath, "assets/model", `copied_${r}.bin`));
    };
    const bareOnce = async (r: number): Promise<void> => {
      const bareDir = join(dir, `bare-${r}`);
      const t0 = process.hrtime.bigint();
      mkdirSync(bareDir);
      await writeFile(join(bareDir, "weights.bin"), bytes);
      bare.push(ms(t0));
      rmSync(bareDir, { recursive: true });
    };
    const saveOnce = async (r: number): Promise<void> => {
      const t0 = process.hrtime.bigint();
      await run.saveModel({ name: "saved", step: r, framework: "custom", write: (d) => writeFile(join(d, "weights.bin"), bytes) });
      save.push(ms(t0));
      await run.flush();
      rmSync(join(run.artifactsPath, "assets/model", `saved_${r}`), { recursive: true });
    };
    for (let r = 0; r < REPEATS; r++) {
      const dest = join(dir, `raw-${r}.bin`);
      const t0 = process.hrtime.bigint();
      await copyFile(src, dest, fsConstants.COPYFILE_FICLONE);
      rawCopy.push(ms(t0));
      rmSync(dest);
      const pairs: Array<[(r: number) => Promise<void>, (r: number) => Promise<void>]> = [
        [cpOnce, copyOnce],
        [bareOnce, saveOnce],
      ];
      for (const [a, b] of pairs) {
        if (r % 2 === 0) {
          await a(r);
          await b(r);
        } else {
          await b(r);
          await a(r);
        }
      }
    }
    await run.end();
    const mbps = (t: number[]): string => `${(SIZE / 2 ** 20 / (median(t) / 1000)).toFixed(0)} MiB/s`;
    const copyRatio = median(cp.map((t, i) => t / copy[i]!));
    const saveOverhead = median(save.map((t, i) => t / bare[i]!)) - 1;
    return [
      {
        name: "versioned copy of a 256 MB checkpoint vs cp",
        figure: `${(copyRatio * 100).toFixed(0)}% of cp throughput`,
        ratio: copyRatio,
        target: "≥ 90%",
        met: copyRatio >= 0.9,
        details: `logModel(step) ${mbps(copy)} (median ${median(copy).toFixed(0)} ms), cp ${mbps(cp)} (median ${median(cp).toFixed(0)} ms), fs.copyFile with the default flags ${mbps(rawCopy)}; median of ${REPEATS} pair ratios; the md5 for lineage is computed after the call returns`,
      },
      {
        name: "saveModel vs a bare save (256 MB)",
        figure: `${saveOverhead >= 0 ? "+" : ""}${(saveOverhead * 100).toFixed(1)}%`,
        ratio: 1 + saveOverhead,
        target: "≤ +5%",
        met: saveOverhead <= 0.05,
        details: `saveModel median ${median(save).toFixed(0)} ms, bare writeFile median ${median(bare).toFixed(0)} ms; median of ${REPEATS} pair ratios`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.log(machineLine());
  for (const r of await runCheckpointIoBench()) console.log(`${r.name}: ${r.figure} (target ${r.target}) — ${r.details}`);
}

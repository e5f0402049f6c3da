// Reading a 1M-row metric file: readMetricColumns and readEvents against a straightforward
// line-splitting parser in the same script, and against pandas read_csv (when /usr/bin/python3
// has pandas), timed inside Python so interpreter start-up is excluded.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { init, readEvents, readMetricColumns } from "../src/index.js";
import { machineLine, median, type BenchResult } from "./machine.js";

const N = 1_000_000;
const REPEATS = 5;

function naiveParse(text: string): { steps: number[]; times: number[]; values: number[] } {
  const lines = text.split("\n");
  const steps: number[] = [];
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const [s, t, v] = lines[i]!.split("|");
    steps.push(Number(s));
    times.push(Date.parse(t!.replace(" ", "T")));
    values.push(Number(v));
  }
  return { steps, times, values };
}

const PANDAS = `
import sys, time, pandas as pd
path, parse = sys.argv[1], sys.argv[2] == "dates"
best = []
for _ in range(${REPEATS}):
    t0 = time.perf_counter()
    df = pd.read_csv(path, sep="|", parse_dates=["timestamp"] if parse else None)
    best.append((time.perf_counter() - t0) * 1000)
    assert len(df) == ${N}
best.sort()
print(best[len(best)//2])
`;

function pandasMs(file: string, dates: boolean): number | undefined {
  if (!existsSync("/usr/bin/python3")) return undefined;
  try {
    return Number(execFileSync("/usr/bin/python3", ["-c", PANDAS, file, dates ? "dates" : "nodates"], { encoding: "utf8" }).trim());
  } catch {
    return undefined;
  }
}

export async function runReadMetricsBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-read-"));
  try {
    const run = await init({ offlineRoot: dir, handleExit: false });
    const t0 = Date.now();
    for (let i = 0; i < N; i++) run.logMetric("loss", Math.exp(-i / N) + Math.sin(i) * 0.01, { step: i, timestamp: t0 + i });
    await run.end();
    const file = join(run.artifactsPath, "events/metric/loss.plx");
    const t = { columns: [] as number[], rows: [] as number[], naive: [] as number[] };
    for (let r = 0; r < REPEATS; r++) {
      let s = performance.now();
      const cols = await readMetricColumns(run.artifactsPath, "loss");
      t.columns.push(performance.now() - s);
      if (cols.length !== N) throw new Error("columnar reader lost rows");
      s = performance.now();
      naiveParse(readFileSync(file, "utf8"));
      t.naive.push(performance.now() - s);
      s = performance.now();
      await readEvents(run.artifactsPath, "metric", "loss");
      t.rows.push(performance.now() - s);
    }
    const pdDates = pandasMs(file, true);
    const pdNoDates = pandasMs(file, false);
    const c = median(t.columns);
    const details = [
      `readMetricColumns ${c.toFixed(0)} ms`,
      `readEvents ${median(t.rows).toFixed(0)} ms`,
      `line-splitting parser ${median(t.naive).toFixed(0)} ms`,
      pdDates !== undefined ? `pandas read_csv ${pdDates.toFixed(0)} ms with parse_dates, ${pdNoDates!.toFixed(0)} ms without` : "pandas not available",
    ].join(", ");
    const results: BenchResult[] = [
      {
        name: "read 1M-row metric file vs line-splitting parser",
        figure: `${(median(t.naive) / c).toFixed(1)}× faster`,
        ratio: median(t.naive) / c,
        target: "faster (> 1×)",
        met: median(t.naive) > c,
        details,
      },
    ];
    if (pdNoDates !== undefined) {
      results.push({
        name: "read 1M-row metric file vs pandas read_csv (no date parsing)",
        figure: `${(pdNoDates / c).toFixed(1)}× faster`,
        ratio: pdNoDates / c,
        target: "faster (> 1×)",
        met: pdNoDates > c,
        details,
      });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.log(machineLine());
  for (const r of await runReadMetricsBench()) console.log(`${r.name}: ${r.figure} (target ${r.target}) — ${r.details}`);
}

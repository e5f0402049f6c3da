// `npm run bench`: every benchmark, each a ratio to a baseline measured in the same script,
// written to bench/RESULTS.md with the machine, Node version and date.
import { writeFileSync } from "node:fs";
import { machineLine, type BenchResult } from "./machine.js";

type Suite = { title: string; load: () => Promise<BenchResult[] | undefined> };

const suites: Suite[] = [
  { title: "logMetric hot path", load: async () => (await import("./log-metric.js")).runLogMetricBench() },
  { title: "model.fit with the tfjs callback", load: async () => [await (await import("./tfjs-fit.js")).runTfjsFitBench()].map(toResult) },
  { title: "checkpoint copies and saves", load: async () => (await import("./checkpoint-io.js")).runCheckpointIoBench() },
  { title: "reading a 1M-row metric file", load: async () => (await import("./read-metrics.js")).runReadMetricsBench() },
  { title: "S3 sync", load: async () => (await import("./s3-sync.js")).runS3SyncBench?.() },
];

/** Adapts a bench that reports `{ name, ratio, target, … }` with numeric fields to a BenchResult. */
function toResult(r: Record<string, unknown>): BenchResult {
  if ("figure" in r && "met" in r) return r as unknown as BenchResult;
  const ratio = Number(r.ratio);
  const target = Number(r.target);
  return {
    name: String(r.name),
    figure: `${ratio.toFixed(3)}×`,
    ratio,
    target: `≤ ${target}×`,
    met: ratio <= target,
    details: Object.entries(r)
      .filter(([k]) => !["name", "ratio", "target"].includes(k))
      .map(([k, v]) => `${k} ${typeof v === "number" ? v.toFixed(1) : String(v)}`)
      .join(", "),
  };
}

const only = process.argv.slice(2);
const rows: BenchResult[] = [];
const notes: string[] = [];
for (const s of suites) {
  if (only.length && !only.some((o) => s.title.toLowerCase().includes(o.toLowerCase()))) continue;
  process.stderr.write(`bench: ${s.title}…\n`);
  try {
    const res = await s.load();
    if (!res || res.length === 0) notes.push(`${s.title}: skipped (its environment is not available).`);
    else rows.push(...res);
  } catch (err) {
    notes.push(`${s.title}: did not run — ${(err as Error).message.split("\n")[0]}`);
  }
  for (const r of rows.slice(-5)) process.stderr.write(`  ${r.name}: ${r.figure} (target ${r.target})\n`);
}

const date = new Date().toISOString().slice(0, 10);
const md = [
  "# Benchmark results",
  "",
  `Machine: ${machineLine()}. Date: ${date}.`,
  "",
  "Every figure is a median over repeated runs and a ratio to a baseline measured in the same script.",
  "",
  "| benchmark | measured | target | met | details |",
  "|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.name} | ${r.figure} | ${r.target} | ${r.met ? "yes" : "**no**"} | ${r.details.replace(/\|/g, "\\|")} |`),
  "",
  ...notes.map((n) => `- ${n}`),
  "",
].join("\n");
writeFileSync(new URL("./RESULTS.md", import.meta.url), md);
console.log(md);

// `npm run bench`: every benchmark, each a median over repeats and a ratio to a baseline measured
// in the same script, written to bench/RESULTS.md with the machine, Node version, date and load.
//
//   npx tsx bench/run.ts               every suite
//   npx tsx bench/run.ts s3 read       only the suites whose id or title contains a word; the other
//                                      rows of RESULTS.md are kept from their last run (each row has its time)
//   --max-load N  --max-wait S         before each suite, wait while the 1-minute load average is
//                                      ≥ N, at most S seconds over the whole run (default 1200)
//
// Each suite runs in a child process: a crash, a leaked handle or a hung request in one cannot
// stop the others, and tfjs's backend or a 256 MB buffer from one does not weigh on the next.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineLine, type BenchResult } from "./machine.js";
import { renderResults, type ReportRow } from "./report.js";

interface Suite {
  id: string;
  title: string;
  /** The suite's rows; undefined when its environment is missing (then `skipped` is shown). */
  run: () => Promise<BenchResult[] | undefined>;
  skipped?: { name: string; target: string; reason: string };
}

const suites: Suite[] = [
  { id: "log-metric", title: "logMetric hot path", run: async () => (await import("./log-metric.js")).runLogMetricBench() },
  {
    id: "tfjs-fit",
    title: "model.fit with the tfjs callback",
    run: async () => {
      const m = await import("./tfjs-fit.js");
      return [m.tfjsFitRow(await m.runTfjsFitBench())];
    },
  },
  {
    id: "tfjs-big",
    title: "100 MB tfjs model checkpointed every epoch",
    run: async () => {
      const m = await import("./tfjs-big.js");
      return m.tfjsBigRows(await m.runTfjsBigBench());
    },
  },
  { id: "checkpoint-io", title: "checkpoint copies and saves", run: async () => (await import("./checkpoint-io.js")).runCheckpointIoBench() },
  { id: "onnx-inspect", title: "inspectOnnx peak RSS on a 1 GiB model", run: async () => (await import("./onnx-inspect.js")).runOnnxInspectBench() },
  { id: "read-metrics", title: "reading a 1M-row metric file", run: async () => (await import("./read-metrics.js")).runReadMetricsBench() },
  { id: "list-runs", title: "listing 1,000 and 10,000 runs", run: async () => (await import("./list-runs.js")).runListRunsBench() },
  { id: "dashboard-runs", title: "dashboard runs table, 10,000 runs", run: async () => (await import("./dashboard.js")).runDashboardRunsBench() },
  { id: "context", title: "resource sampling and log capture", run: async () => (await import("./context.js")).runContextBench() },
  {
    id: "dashboard-run",
    title: "the run page of a 50 × 100,000-point run",
    run: async () => (await import("./dashboard-run.js")).runDashboardRunBench(),
    skipped: { name: "run page first render (headless Chromium)", target: "< 15 s cold", reason: "no Chromium (/usr/bin/chromium or RUNTRAIL_CHROMIUM)" },
  },
  {
    id: "s3-sync",
    title: "S3 sync",
    run: async () => (await import("./s3-sync.js")).runS3SyncBench(),
    skipped: {
      name: "S3 sync vs bare lib-storage Upload (throughput)",
      target: "≥ 0.9×",
      reason: "no S3 gateway configured or answering (start one with scripts/ceph-rgw-start.sh, or set RUNTRAIL_S3_ENDPOINT)",
    },
  },
];

const SUITE_TIMEOUT_MS = 30 * 60_000;
const CACHE = join(process.cwd(), ".bench-tmp", "last-results.json");
const load1 = (): number => loadavg()[0]!;

/** What a child writes: its rows (null when skipped), or why it failed. */
type ChildOutput = { rows: BenchResult[] | null } | { error: string };

/** Child mode: `run.ts --child <id> <out.json>` runs one suite and writes a {@link ChildOutput}. */
async function child(id: string, out: string): Promise<number> {
  try {
    const suite = suites.find((s) => s.id === id);
    if (!suite) throw new Error(`no bench suite ${id}`);
    const rows = await suite.run();
    writeFileSync(out, JSON.stringify({ rows: rows ?? null } satisfies ChildOutput));
    return 0;
  } catch (err) {
    console.error(err);
    const e = err as Error;
    writeFileSync(out, JSON.stringify({ error: `${e.name}: ${e.message}`.split("\n")[0]! } satisfies ChildOutput));
    return 1;
  }
}

/** Runs one suite in a child process; resolves with its rows, or rejects with why it did not finish. */
function runChild(suite: Suite): Promise<BenchResult[] | undefined> {
  const out = join(process.cwd(), ".bench-tmp", `result-${suite.id}-${process.pid}.json`);
  rmSync(out, { force: true });
  const argv = [...process.execArgv, fileURLToPath(import.meta.url), "--child", suite.id, out];
  return new Promise((resolve, reject) => {
    // The child's own output (progress, per-repeat lines) goes to our stderr; stdout is the report.
    const p = spawn(process.execPath, argv, { stdio: ["ignore", process.stderr, process.stderr] });
    const timer = setTimeout(() => p.kill("SIGKILL"), SUITE_TIMEOUT_MS);
    p.on("error", reject);
    p.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (!existsSync(out)) {
        reject(new Error(signal ? `killed by ${signal}${signal === "SIGKILL" ? " (time limit or out of memory)" : ""}` : `exited with code ${code} before writing its results`));
        return;
      }
      const res = JSON.parse(readFileSync(out, "utf8")) as ChildOutput;
      rmSync(out, { force: true });
      if ("error" in res) reject(new Error(res.error));
      else resolve(res.rows ?? undefined);
    });
  });
}

async function waitForQuiet(maxLoad: number, deadline: number): Promise<void> {
  while (load1() >= maxLoad && Date.now() < deadline) {
    process.stderr.write(`bench: load average ${load1().toFixed(2)} ≥ ${maxLoad}; waiting (until ${new Date(deadline).toISOString().slice(11, 19)} UTC at most)…\n`);
    await new Promise((r) => setTimeout(r, 15_000));
  }
}

function flag(args: string[], name: string): number | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`${name} needs a number`);
  args.splice(i, 2);
  return v;
}

async function main(args: string[]): Promise<void> {
  const maxLoad = flag(args, "--max-load") ?? Infinity;
  const deadline = Date.now() + (flag(args, "--max-wait") ?? 1200) * 1000;
  const chosen = suites.filter((s) => !args.length || args.some((a) => `${s.id} ${s.title}`.toLowerCase().includes(a.toLowerCase())));
  if (!chosen.length) throw new Error(`no suite matches ${args.join(" ")}; suites: ${suites.map((s) => s.id).join(", ")}`);
  mkdirSync(join(process.cwd(), ".bench-tmp"), { recursive: true });
  const machine = machineLine();
  const fresh: ReportRow[] = [];
  for (const s of chosen) {
    await waitForQuiet(maxLoad, deadline);
    process.stderr.write(`bench: ${s.title} (load average ${load1().toFixed(2)})…\n`);
    const at = new Date().toISOString();
    const before = load1();
    const base = { suite: s.id, at, machine };
    let rows: ReportRow[];
    try {
      const res = await runChild(s);
      const load: [number, number] = [before, load1()];
      rows = res?.length
        ? res.map((r) => ({ ...r, ...base, load, status: r.met ? "met" : "missed" }))
        : [{ name: s.skipped?.name ?? s.title, figure: "skipped (no gateway)", ratio: NaN, target: s.skipped?.target ?? "", met: false, details: s.skipped?.reason ?? "its environment is not available", ...base, load, status: "skipped" }];
    } catch (err) {
      const details = `did not run: ${(err as Error).message.split("\n")[0]}`;
      rows = [{ name: s.title, figure: "—", ratio: NaN, target: "", met: false, details, ...base, load: [before, load1()], status: "failed" }];
    }
    for (const r of rows) process.stderr.write(`  ${r.name}: ${r.figure} (target ${r.target})\n`);
    fresh.push(...rows);
  }
  // A partial run keeps the other suites' rows from the last run, in suite order.
  const kept = args.length && existsSync(CACHE) ? (JSON.parse(readFileSync(CACHE, "utf8")) as ReportRow[]) : [];
  const ran = new Set(chosen.map((s) => s.id));
  const all = suites.flatMap((s) => (ran.has(s.id) ? fresh : kept).filter((r) => r.suite === s.id));
  writeFileSync(CACHE, JSON.stringify(all));
  const md = renderResults(all, cpus().length);
  writeFileSync(new URL("./RESULTS.md", import.meta.url), md);
  console.log(md);
}

const argv = process.argv.slice(2);
if (argv[0] === "--child") {
  const code = await child(argv[1]!, argv[2]!);
  // A handle a suite leaves open (keep-alive socket, tfjs timer) must not hold the run until its time limit.
  process.exit(code);
} else {
  await main(argv);
}

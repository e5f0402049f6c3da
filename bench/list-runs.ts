// Listing a sweep: the first sorted page (`sort: "metrics.loss", limit: 50`) and the full listing
// of 1,000 and 10,000 runs, through listRuns and through the dashboard's GET /api/runs, each timed
// as a FRESH process (spawn to exit), against a bare script in the same loop that reads and
// parses every run.plx.json once. Both are CommonJS scripts, so the ratio compares the listing's
// work and not Node's two module loaders (an ES module that imports node builtins costs ~25 ms
// more to start on these machines). Cases: warm (the index checked every run folder less than
// recheckMs ago), warm with every run folder checked (recheckMs: 0), cold (no index), and right
// after 10 runs changed through runtrail (resumed in another process: their new values must be
// in the answer).
//
//   npx tsx bench/run.ts list-runs        (the sweeps are generated once and cached under .bench-tmp/)
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { sweepUuid, writeSweepRun, type SweepRunSpec } from "../test/helpers/sweep.js";
import { machineLine, median, type BenchResult } from "./machine.js";

const SIZES = (process.env.RUNTRAIL_BENCH_LIST_SIZES ?? "1000,10000").split(",").map(Number);
const METRICS = ["loss", "acc", "val_loss", "val_acc", "lr"];
const STEPS = 200;
const REPEATS = Number(process.env.RUNTRAIL_BENCH_LIST_REPEATS ?? 3);
const SWEEP_VERSION = "2"; // bump when the generated runs change
const TMP = join(process.cwd(), ".bench-tmp", "list-runs");

/** A deterministic run of the sweep: 5 inputs, 5 metrics × 200 steps, all finished. */
function sweepSpec(i: number): SweepRunSpec {
  const lr = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2][i % 5]!;
  const bs = [16, 32, 64, 128][(i >> 3) % 4]!;
  const metrics: Record<string, number[]> = {};
  for (const [k, name] of METRICS.entries()) {
    const vals: number[] = [];
    for (let s = 0; s < STEPS; s++) vals.push(Math.exp(-s / (50 + (i % 97))) * (1 + k) + ((i * 7919 + s * 31) % 1000) / 1e5);
    metrics[name] = vals;
  }
  return {
    uuid: sweepUuid(i, 12),
    name: `sweep-${i}`,
    project: "bench",
    status: i % 50 === 0 ? "failed" : "succeeded",
    tags: i % 3 ? ["sweep"] : ["sweep", "baseline"],
    createdMs: Date.UTC(2024, 0, 1) + i * 60_000,
    durationS: 30 + (i % 600),
    inputs: { lr, batch_size: bs, optimizer: i % 2 ? "adam" : "sgd", dropout: (i % 5) / 10, seed: i },
    metrics,
  };
}

/** `<root>/runs` with `n` runs, generated once (files written directly, not through init()). */
export function sweepRoot(n: number): string {
  const root = join(TMP, `sweep-${n}`);
  const marker = join(root, "complete");
  if (existsSync(marker) && readFileSync(marker, "utf8") === SWEEP_VERSION) {
    const dirty = join(root, "changed-runs");
    if (existsSync(dirty)) restore(root, readFileSync(dirty, "utf8").split("\n").filter(Boolean)); // left by an interrupted bench
    return root;
  }
  rmSync(root, { recursive: true, force: true });
  const t0 = Date.now();
  for (let i = 0; i < n; i++) writeSweepRun(join(root, "runs"), sweepSpec(i));
  writeFileSync(marker, SWEEP_VERSION);
  process.stderr.write(`  generated ${n} runs in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return root;
}

const BARE = `
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const dir = process.argv[1];
let n = 0;
for (const id of readdirSync(dir)) {
  if (id.startsWith(".")) continue;
  const meta = JSON.parse(readFileSync(join(dir, id, "run.plx.json"), "utf8"));
  if (meta.uuid) n++;
}
console.log(JSON.stringify({ runs: n }));
`;

/** The listing as a user's script runs it: `listRuns` from runtrail, in a fresh process. */
const LIST_ENTRY = `
import { listRuns } from "../../src/index.ts";
async function main() {
  const [root, limit, recheck] = process.argv.slice(2);
  const runs = await listRuns(root, { sort: "metrics.loss", limit: limit === "all" ? undefined : Number(limit), recheckMs: recheck === undefined ? undefined : Number(recheck) });
  console.log(JSON.stringify({ runs: runs.length, first: runs.slice(0, 10).map((r) => [r.uuid, r.metrics.loss.value]) }));
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

/** The dashboard's \`GET /api/runs\`, answered by its app in a fresh process. */
const API_ENTRY = `
import { createDashboardApp } from "../../src/ui/server.ts";
async function main() {
  const [root, limit] = process.argv.slice(2);
  const res = await createDashboardApp(root).handle("GET", "/api/runs?sort=metrics.loss" + (limit === "all" ? "" : "&limit=" + limit));
  if (res.status !== 200) throw new Error(res.body.toString());
  const runs = JSON.parse(res.body.toString());
  console.log(JSON.stringify({ runs: runs.length, first: runs.slice(0, 10).map((r) => [r.uuid, r.metrics.loss.value]) }));
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

/** Resumes runs through runtrail, as a second training session would, and logs a new last loss: `<offlineRoot> <uuid>=<loss>…`. */
const RESUME = `
import { init } from "../../src/index.ts";
async function main() {
  const [root, ...pairs] = process.argv.slice(2);
  for (const pair of pairs) {
    const [uuid, loss] = pair.split("=");
    const run = await init({ offlineRoot: root, runUuid: uuid, flushIntervalMs: 0, handleExit: false, collectResources: false, collectLogs: false, trackCode: false, trackEnv: false });
    run.logMetric("loss", Number(loss), { step: ${STEPS} });
    await run.end();
  }
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

/** A script with runtrail bundled in, as a user's (CommonJS) program that imports it would load it. */
async function bundle(name: string, source: string): Promise<string> {
  mkdirSync(TMP, { recursive: true });
  const entry = join(TMP, `${name}.ts`);
  writeFileSync(entry, source);
  const out = join(TMP, `${name}.cjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile: out,
    packages: "external",
    logLevel: "error",
    // as the package's own CommonJS build (tsup's shims) gives import.meta.url
    banner: { js: 'const importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { "import.meta.url": "importMetaUrl" },
  });
  return out;
}

interface Timed {
  ms: number;
  out: { runs: number; first?: Array<[string, number]> };
}

function timeProcess(args: string[]): Timed {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", cwd: process.cwd() });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return { ms, out: JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Timed["out"] };
}

/** Gives 10 runs a new, lowest last loss (so they lead the first page) through runtrail: each is resumed in another process, logs it, and ends. */
function changeTen(script: string, root: string, n: number, round: number): Map<string, number> {
  const changed = new Map<string, number>();
  for (let j = 0; j < 10; j++) {
    const uuid = sweepSpec(((round * 10 + j) * 37 + 1) % n).uuid;
    appendFileSync(join(root, "changed-runs"), `${uuid}\n`);
    changed.set(uuid, (1e-7 * (j + 1)) / (round + 1));
  }
  const r = spawnSync(process.execPath, [script, root, ...[...changed].map(([uuid, loss]) => `${uuid}=${loss}`)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`resuming the runs failed: ${r.stderr}`);
  return changed;
}

/** Puts the changed runs back as generated, so the cached sweep stays the same for the next run. */
function restore(root: string, uuids: Iterable<string>): void {
  for (const uuid of uuids) {
    const i = Number.parseInt(uuid.slice(8), 16);
    rmSync(join(root, "runs", uuid), { recursive: true, force: true });
    writeSweepRun(join(root, "runs"), sweepSpec(i));
  }
  rmSync(join(root, "changed-runs"), { force: true });
}

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export async function runListRunsBench(): Promise<BenchResult[]> {
  const scripts = { list: await bundle("list", LIST_ENTRY), api: await bundle("api", API_ENTRY) };
  const resume = await bundle("resume", RESUME);
  const rows: BenchResult[] = [];
  const figures: Record<number, Record<string, number>> = {};
  for (const n of SIZES) {
    const root = sweepRoot(n);
    const runsDir = join(root, "runs");
    const index = join(runsDir, ".runtrail");
    const bare = (): Timed => timeProcess(["-e", BARE, runsDir]);
    const list = (mode: "list" | "api", limit: string, recheckMs?: number): Timed => timeProcess([scripts[mode], root, limit, ...(recheckMs === undefined ? [] : [String(recheckMs)])]);
    const t: Record<string, number[]> = { bare: [], warm: [], checked: [], cold: [], changed: [], apiWarm: [], apiCold: [], apiChanged: [], full: [] };
    rmSync(index, { recursive: true, force: true });
    list("list", "50"); // builds the index
    sleep(2100); // past the index's racy window: the generated files are now trusted
    for (let r = 0; r < REPEATS; r++) {
      const b = bare();
      if (b.out.runs !== n) throw new Error(`bare script saw ${b.out.runs} runs, not ${n}`);
      t.bare!.push(b.ms);
      for (const mode of ["list", "api"] as const) {
        list(mode, "50"); // settles the index after the previous round's changes (untimed)
        const warm = list(mode, "50");
        if (warm.out.runs !== 50) throw new Error(`${mode} warm listed ${warm.out.runs}`);
        t[mode === "list" ? "warm" : "apiWarm"]!.push(warm.ms);
        if (mode === "list") t.checked!.push(list(mode, "50", 0).ms);
        const changed = changeTen(resume, root, n, r * 2 + (mode === "api" ? 1 : 0));
        const after = list(mode, "50");
        const shown = new Map(after.out.first!);
        for (const [uuid, loss] of changed) if (shown.get(uuid) !== loss) throw new Error(`${mode}: run ${uuid} changed to loss ${loss}, listed as ${shown.get(uuid)}`);
        t[mode === "list" ? "changed" : "apiChanged"]!.push(after.ms);
        restore(root, changed.keys());
        list(mode, "50");
        rmSync(index, { recursive: true, force: true });
        t[mode === "list" ? "cold" : "apiCold"]!.push(list(mode, "50").ms);
        sleep(2100);
      }
      list("list", "all"); // the first full listing reads the metric streams a first page never needed (untimed)
      const full = list("list", "all");
      if (full.out.runs !== n) throw new Error(`full listing saw ${full.out.runs} runs`);
      t.full!.push(full.ms);
    }
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
    figures[n] = m;
    const bareMs = m.bare!;
    const load = loadavg()[0]!.toFixed(1);
    const details = (k: string): string => `${n} runs (5 metrics × ${STEPS} steps): ${m[k]!.toFixed(0)} ms vs bare ${bareMs.toFixed(0)} ms, median of ${REPEATS} fresh processes, load ${load}; ${machineLine()}`;
    const row = (name: string, k: string, max: number, target: string): void => {
      const ratio = m[k]! / bareMs;
      rows.push({ name: `${name}, ${n} runs`, figure: `${m[k]!.toFixed(0)} ms (${ratio.toFixed(2)}× bare)`, ratio, target, met: ratio <= max, details: details(k) });
    };
    row("listRuns first page (sort metrics.loss, limit 50), warm", "warm", 0.5, "≤ 0.5× bare");
    const checkedRatio = m.checked! / bareMs;
    rows.push({ name: `listRuns first page, warm, every run folder checked (recheckMs: 0), ${n} runs`, figure: `${m.checked!.toFixed(0)} ms (${checkedRatio.toFixed(2)}× bare)`, ratio: checkedRatio, target: "reported", met: true, details: details("checked") });
    row("listRuns first page, cold (no index)", "cold", 2, "≤ 2× bare");
    row("listRuns first page after 10 runs changed", "changed", 1.2 * (m.warm! / bareMs), "≤ 1.2× warm");
    row("GET /api/runs first page, warm", "apiWarm", 0.5, "≤ 0.5× bare");
    row("GET /api/runs first page, cold", "apiCold", 2, "≤ 2× bare");
    row("GET /api/runs first page after 10 runs changed", "apiChanged", 1.2 * (m.apiWarm! / bareMs), "≤ 1.2× warm");
    const fullRatio = m.full! / bareMs;
    rows.push({ name: `listRuns full listing (all runs), warm, ${n} runs`, figure: `${m.full!.toFixed(0)} ms (${fullRatio.toFixed(2)}× bare)`, ratio: fullRatio, target: "reported", met: true, details: details("full") });
  }
  if (figures[1_000] && figures[10_000]) {
    const grow = Object.keys(figures[10_000]!).map((k) => `${k} ×${(figures[10_000]![k]! / figures[1_000]![k]!).toFixed(1)}`).join(", ");
    process.stderr.write(`  growth 1,000 → 10,000 runs: ${grow}\n`);
    for (const r of rows) if (r.name.endsWith("10000 runs")) r.details += `; growth from 1,000 runs: ${grow}`;
  }
  return rows;
}

// The run page of a big run in headless Chromium: 50 metrics × 100,000 steps each. Measures the
// first render (a fresh server, then a second browser on the same server) and the JSON bytes the page receives, against
// the bytes of the metric files on disk (what a page without server-side downsampling gets).
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { init } from "../src/index.js";
import { pyFloatRepr, pyTimestamp } from "../src/core/events/pyformat.js";
import { startDashboard } from "../src/ui/server.js";
import { CHROMIUM_PATH, launchChromium } from "../test/helpers/browser.js";
import type { BenchResult } from "./machine.js";
import { existsSync } from "node:fs";

const METRICS = 50;
const STEPS = 100_000;
/** First render of the page, caches cold, on a 2-core machine. */
const FIRST_RENDER_TARGET_MS = 15_000;

/** Writes `METRICS` metric files of `STEPS` rows in Polyaxon's format straight to disk (logMetric is benchmarked elsewhere). */
export async function makeWideRun(root: string): Promise<{ id: string; diskBytes: number }> {
  const run = await init({ offlineRoot: root, name: "wide-and-long", collectResources: false, collectLogs: false, trackCode: false, trackEnv: false, handleExit: false });
  await run.end();
  const dir = join(run.artifactsPath, "events", "metric");
  mkdirSync(dir, { recursive: true });
  const t0 = Date.UTC(2025, 0, 1);
  const stamps: string[] = new Array(STEPS);
  for (let i = 0; i < STEPS; i++) stamps[i] = pyTimestamp(t0 + i * 100);
  let diskBytes = 0;
  for (let m = 0; m < METRICS; m++) {
    const parts: string[] = ["step|timestamp|metric"];
    for (let i = 0; i < STEPS; i++) parts.push(`${i}|${stamps[i]}|${pyFloatRepr(Math.exp(-i / (STEPS / (1 + m % 5))) + 0.01 * Math.sin(i * (m + 1)))}`);
    const file = join(dir, `metric_${String(m).padStart(2, "0")}.plx`);
    writeFileSync(file, parts.join("\n"));
    diskBytes += statSync(file).size;
  }
  return { id: basename(run.artifactsPath), diskBytes };
}

/** Loads the page until the run and all its metric charts are drawn; returns the time and the JSON bytes received. */
async function renderOnce(url: string, id: string): Promise<{ ms: number; jsonBytes: number; charts: number }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    let jsonBytes = 0;
    const bodies: Array<Promise<void>> = [];
    page.on("response", (res) => {
      if (new URL(res.url()).pathname.startsWith("/api/")) bodies.push(res.body().then((b) => void (jsonBytes += b.length)).catch(() => undefined));
    });
    const t = performance.now();
    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']", { timeout: 600_000 });
    await page.waitForSelector(`#run-detail[data-run="${id}"][data-ready="1"]`, { timeout: 600_000 });
    const ms = performance.now() - t;
    const charts = await page.$$eval("#metric-charts canvas", (c) => c.length);
    await Promise.all(bodies);
    return { ms, jsonBytes, charts };
  } finally {
    await browser.close();
  }
}

/** Suite `dashboard-run`: first render of a 50 × 100,000-point run page in headless Chromium. */
export async function runDashboardRunBench(): Promise<BenchResult[] | undefined> {
  if (!existsSync(CHROMIUM_PATH)) return undefined;
  const base = mkdtempSync(join(tmpdir(), "runtrail-bench-runpage-"));
  try {
    const { id, diskBytes } = await makeWideRun(join(base, "plx"));
    const dash = await startDashboard({ root: join(base, "plx"), port: 0 });
    try {
      const cold = await renderOnce(dash.url, id);
      const warm = await renderOnce(dash.url, id);
      if (cold.charts < METRICS) throw new Error(`the page drew ${cold.charts} metric charts, expected ${METRICS}`);
      const mb = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
      return [
        {
          name: `run page first render, ${METRICS} metrics × ${STEPS.toLocaleString("en")} steps (headless Chromium)`,
          figure: `${(cold.ms / 1000).toFixed(1)} s cold, ${(warm.ms / 1000).toFixed(1)} s warm`,
          ratio: FIRST_RENDER_TARGET_MS / cold.ms,
          target: `< ${FIRST_RENDER_TARGET_MS / 1000} s cold`,
          met: cold.ms < FIRST_RENDER_TARGET_MS,
          details: `${cold.charts} charts drawn; first load with the server just started, then a second browser on the same server (it re-parses too: its parsed-metric cache keeps 32 streams and the page asks for ${METRICS})`,
        },
        {
          name: "run page JSON sent vs metric bytes on disk",
          figure: `${mb(cold.jsonBytes)} sent for ${mb(diskBytes)} on disk`,
          ratio: diskBytes / cold.jsonBytes,
          target: "≥ 20× less than the files",
          met: diskBytes / cold.jsonBytes >= 20,
          details: `${(diskBytes / cold.jsonBytes).toFixed(0)}× less; M4 downsampling to ≤ 2000 points per line on the server`,
        },
      ];
    } finally {
      await dash.close();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

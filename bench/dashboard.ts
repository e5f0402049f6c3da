// Dashboard benchmarks in headless Chromium (the system /usr/bin/chromium via playwright-core).
//
// Runs table (`npx tsx bench/run.ts dashboard-runs`): the page opened on a 10,000-run sweep
// (5 inputs, 5 metrics), timed from navigation until the table has drawn its first page of rows
// and its columns, against a bare page in the same browser that only fetches the same
// `GET /api/runs` answer and parses it. Also reported: the JSON bytes the page receives.
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import type { Browser } from "playwright-core";
import { startDashboard } from "../src/ui/server.js";
import { CHROMIUM_PATH, launchChromium } from "../test/helpers/browser.js";
import { sweepRoot } from "./list-runs.js";
import { median, type BenchResult } from "./machine.js";

const RUNS = Number(process.env.RUNTRAIL_BENCH_DASHBOARD_RUNS ?? 10_000);
const REPEATS = Number(process.env.RUNTRAIL_BENCH_DASHBOARD_REPEATS ?? 3);

/** Time to the runs table's first render and bytes of JSON received, one fresh page each. */
async function timeTable(browser: Browser, url: string): Promise<{ ms: number; jsonBytes: number }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  let jsonBytes = 0;
  page.on("response", (res) => {
    if ((res.headers()["content-type"] ?? "").startsWith("application/json")) {
      res.body().then((b) => (jsonBytes += b.length), () => undefined);
    }
  });
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction((n) => document.querySelector("#runs-table")?.getAttribute("data-rows") === String(n) && document.querySelectorAll("#runs-table tr.run-row").length > 0, RUNS, { timeout: 600_000, polling: 50 });
  const ms = Date.now() - t0;
  await page.waitForSelector("body[data-ready='1']", { timeout: 600_000 });
  await page.close();
  return { ms, jsonBytes };
}

/** The baseline: the same list fetched and parsed by a page that draws nothing. */
async function timeBare(browser: Browser, origin: string): Promise<number> {
  const page = await browser.newPage();
  await page.goto(origin + "/api/runs?limit=1");
  const t0 = Date.now();
  await page.evaluate(async () => (await (await fetch("/api/runs")).json()).length);
  const ms = Date.now() - t0;
  await page.close();
  return ms;
}

/** The `dashboard-runs` suite: one row. Undefined (skipped) without a Chromium. */
export async function runDashboardRunsBench(): Promise<BenchResult[] | undefined> {
  if (!existsSync(CHROMIUM_PATH)) return undefined;
  const root = sweepRoot(RUNS);
  const dash = await startDashboard({ root, port: 0 });
  const browser = await launchChromium();
  try {
    // Warm the server's index once, as a dashboard left open has.
    await timeBare(browser, dash.url.replace(/\/$/, ""));
    const page: number[] = [];
    const bare: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REPEATS; i++) {
      const r = await timeTable(browser, dash.url + "?live=0");
      page.push(r.ms);
      bytes = r.jsonBytes;
      bare.push(await timeBare(browser, dash.url.replace(/\/$/, "")));
    }
    const ms = median(page);
    const base = median(bare);
    const ratio = ms / base;
    return [
      {
        name: `runs table first render, ${RUNS.toLocaleString("en")} runs (headless Chromium)`,
        figure: `${(ms / 1000).toFixed(2)} s, ${(bytes / 2 ** 20).toFixed(1)} MiB JSON`,
        ratio,
        target: "≤ 4× fetch+parse, ≤ 5 s",
        met: ratio <= 4 && ms <= 5000,
        details: `median of ${REPEATS}: page ${page.join("/")} ms vs bare fetch+JSON.parse of GET /api/runs ${bare.join("/")} ms; load ${loadavg()[0]!.toFixed(1)}`,
      },
    ];
  } finally {
    await browser.close();
    await dash.close();
  }
}

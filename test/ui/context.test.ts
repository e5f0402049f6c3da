import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Browser } from "playwright-core";
import { Run } from "../../src/index.js";
import { createDashboardApp, startDashboard, type RunningDashboard } from "../../src/ui/server.js";
import { describeBrowser, launchChromium, newPage } from "../helpers/browser.js";

const HOSTILE = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">`;
let base: string;
let withContext: string;
let without: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "runtrail-ui-context-"));
  const root = join(base, "plx");
  const run = new Run({ offlineRoot: root, name: "with-context", resourcesIntervalMs: 100, trackCode: false, handleExit: false });
  process.stdout.write("training started\n");
  process.stdout.write(`${HOSTILE}\n`);
  await new Promise((r) => setTimeout(r, 450));
  await run.end();
  withContext = basename(run.artifactsPath);
  const bare = new Run({ offlineRoot: root, name: "bare", collectResources: false, collectLogs: false, trackCode: false, trackEnv: false, handleExit: false });
  await bare.end();
  without = basename(bare.artifactsPath);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("dashboard API: resources and logs", () => {
  it("lists resource streams, serves one as a time series, and the last log lines", async () => {
    const app = createDashboardApp(join(base, "plx"));
    const get = async (url: string): Promise<{ status: number; body: any }> => {
      const res = await app.handle("GET", url);
      return { status: res.status, body: JSON.parse(res.body.toString("utf8")) };
    };
    const names = await get(`/api/runs/${withContext}/resources`);
    expect(names.body).toEqual(expect.arrayContaining(["cpu", "memory", "process_rss"]));
    const cpu = await get(`/api/runs/${withContext}/resources/cpu?points=100`);
    expect(cpu.body.name).toBe("cpu");
    expect(cpu.body.x.length).toBeGreaterThanOrEqual(2);
    expect(cpu.body.x[0]).toBeGreaterThan(1.7e9); // epoch seconds
    const logs = await get(`/api/runs/${withContext}/logs?tail=1`);
    expect(logs.body).toEqual({ lines: [{ t: expect.any(String), v: HOSTILE }], truncated: true });
    expect((await get(`/api/runs/${without}/logs`)).body).toEqual({ lines: [], truncated: false });
    expect((await get(`/api/runs/${without}/resources`)).body).toEqual([]);
    expect((await get(`/api/runs/${withContext}/logs?tail=0`)).status).toBe(400);
    expect((await get(`/api/runs/${withContext}/resources/..%2f..%2frun.plx`)).status).toBe(400);
    expect((await get(`/api/runs/${withContext}/resources/nope`)).status).toBe(404);
  });
});

describeBrowser("dashboard run page: system charts and logs in headless Chromium", () => {
  let dash: RunningDashboard;
  let browser: Browser;
  beforeAll(async () => {
    dash = await startDashboard({ root: join(base, "plx"), port: 0 });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await dash?.close();
  });

  it("draws one chart per resource stream and shows captured lines as text (no script from a run runs)", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(dash.url);
    await page.waitForSelector("body[data-ready='1']");
    await page.click(`tr.run-row[data-run="${withContext}"] td.run-name`);
    await page.waitForSelector(`#run-detail[data-run="${withContext}"][data-ready="1"]`);
    const charts = await page.$$eval("#system .card", (cards) => cards.map((c) => (c as HTMLElement).dataset.resource));
    expect(charts).toEqual(expect.arrayContaining(["cpu", "memory", "process_rss"]));
    expect(await page.$$eval("#system .card canvas", (c) => c.length)).toBeGreaterThanOrEqual(3);
    const text = await page.$eval("#logs pre.logs", (p) => p.textContent);
    expect(text).toContain("training started");
    expect(text).toContain(HOSTILE);
    expect(await page.$$eval("#logs img, #logs script", (n) => n.length)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

    await page.click(`tr.run-row[data-run="${without}"] td.run-name`);
    await page.waitForSelector(`#run-detail[data-run="${without}"][data-ready="1"]`);
    expect(await page.$eval("#system .body", (b) => b.textContent)).toMatch(/No system resources/);
    expect(await page.$eval("#logs .body", (b) => b.textContent)).toMatch(/No captured logs/);
    expect(errors).toEqual([]);
  });
});

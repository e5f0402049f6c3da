import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Run } from "../../src/index.js";
import { startDashboard, type RunningDashboard } from "../../src/ui/server.js";
import { describeBrowser, launchChromium, newPage } from "../helpers/browser.js";

const HOSTILE_LOG = `<script>window.pwned="log"</script><img src=x onerror="window.pwned='log-img'">`;
const HOSTILE_HTML = `<p id="hello">hello from a run</p><script>parent.pwned="html";window.top.pwned="html"</script><img src=x onerror="parent.pwned='html-img'">`;
const VEGA_LITE = {
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  data: { values: [{ k: "a", v: 3 }, { k: "b", v: 7 }, { k: "c", v: 5 }] },
  mark: "bar",
  encoding: { x: { field: "k", type: "nominal" }, y: { field: "v", type: "quantitative" } },
};
/** Tries, in several ways, to run code in the dashboard's origin from a Vega spec. */
const HOSTILE_VEGA = {
  $schema: "https://vega.github.io/schema/vega/v5.json",
  width: 200,
  height: 100,
  signals: [
    { name: "a", init: "constructor.constructor('parent.pwned=\"vega-ctor\"')()" },
    { name: "b", update: "(function(){parent.pwned='vega-fn'})()" },
  ],
  marks: [{ type: "text", encode: { enter: { text: { signal: "'x'" }, href: { value: "javascript:parent.pwned='vega-href'" } } } }],
};
const SHOTS = process.env.RUNTRAIL_SCREENSHOTS === "1" ? fileURLToPath(new URL("../../docs/img", import.meta.url)) : undefined;

describeBrowser("run page in headless Chromium: system, logs, events, Vega, live refresh", () => {
  let base: string;
  let run: Run;
  let runId: string;
  let dash: RunningDashboard;
  let browser: Browser;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "runtrail-ui-runpage-browser-"));
    run = new Run({ offlineRoot: join(base, "plx"), name: "live-run", resourcesIntervalMs: 200, flushIntervalMs: 200, trackCode: false, handleExit: false });
    process.stdout.write("epoch 1 started\n");
    process.stdout.write(`${HOSTILE_LOG}\n`);
    for (let s = 1; s <= 5; s++) run.logMetric("loss", 1 / s, { step: s });
    run.logText("notes", "first note <b>not bold</b>", { step: 1 });
    run.logHtml("report", HOSTILE_HTML, { step: 1 });
    run.logChart("bars", VEGA_LITE, { step: 1 });
    run.logChart("hostile", HOSTILE_VEGA, { step: 1 });
    for (let s = 1; s <= 4; s++) {
      const xs = Array.from({ length: 400 }, (_, i) => Math.sin(i * 7.1) * (1 + s / 2) + s * 0.3);
      run.logHistogram("weights", xs, { step: s, bins: 30 });
    }
    await new Promise((r) => setTimeout(r, 700));
    await run.flush();
    runId = basename(run.artifactsPath);
    dash = await startDashboard({ root: join(base, "plx"), port: 0 });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.close();
    await run?.end().catch(() => undefined);
    if (base) rmSync(base, { recursive: true, force: true });
  });

  async function open(): Promise<{ page: Page; errors: string[] }> {
    const p = await newPage(browser);
    p.page.on("dialog", (d) => {
      p.errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await p.page.goto(dash.url);
    await p.page.waitForSelector("body[data-ready='1']");
    await p.page.click(`tr.run-row[data-run="${runId}"] td.run-name`);
    await p.page.waitForSelector(`#run-detail[data-run="${runId}"][data-ready="1"]`);
    return p;
  }

  const pwned = (page: Page): Promise<unknown> => page.evaluate(() => (window as unknown as { pwned?: unknown }).pwned);

  it("draws system charts, logs (as text, searchable), text, a sandboxed HTML event, histograms and a Vega-Lite chart", async () => {
    const { page, errors } = await open();
    const resources = await page.$$eval("#system .card", (cards) => cards.map((c) => (c as HTMLElement).dataset.resource));
    expect(resources).toEqual(expect.arrayContaining(["cpu", "memory"]));
    expect(await page.$$eval("#system .card canvas", (c) => c.length)).toBeGreaterThanOrEqual(2);

    const logText = await page.$eval("#logs pre.logs", (p) => p.textContent);
    expect(logText).toContain("epoch 1 started");
    expect(logText).toContain(HOSTILE_LOG);
    expect(await page.$$eval("#logs img, #logs script", (n) => n.length)).toBe(0);
    await page.fill("#logs input.log-search", "EPOCH 1");
    expect(await page.$eval("#logs pre.logs", (p) => p.textContent)).toMatch(/^\d\d:\d\d:\d\d {2}epoch 1 started$/);
    expect(await page.$eval("#logs .log-count", (p) => p.textContent)).toMatch(/^1 of \d+ lines/);
    await page.fill("#logs input.log-search", "");

    expect(await page.$eval('#texts .card[data-stream="notes"] pre', (p) => p.textContent)).toBe("first note <b>not bold</b>");

    const html = await page.$eval('#htmls iframe.event-html', (f) => ({ sandbox: f.getAttribute("sandbox"), srcdoc: f.getAttribute("srcdoc") }));
    expect(html).toEqual({ sandbox: "", srcdoc: HOSTILE_HTML });
    const frame = page.frames().find((f) => f.url() === "about:srcdoc");
    await expect.poll(async () => frame && (await frame.$eval("#hello", (p) => p.textContent).catch(() => null))).toBe("hello from a run");

    const hist = await page.$eval('#histograms .card[data-stream="weights"]', (c) => ({ step: (c as HTMLElement).dataset.step, bins: c.querySelector("canvas")!.dataset.bins, total: c.querySelector("canvas")!.dataset.total }));
    expect(hist).toEqual({ step: "4", bins: "30", total: "400" });

    await page.waitForSelector('#charts .card[data-stream="bars"] iframe[data-rendered="1"]', { timeout: 30_000 });
    const bars = await page.$eval('#charts .card[data-stream="bars"] iframe', (f) => ({ sandbox: f.getAttribute("sandbox"), marks: Number((f as HTMLElement).dataset.marks) }));
    expect(bars.sandbox).toBe("allow-scripts");
    expect(bars.marks).toBeGreaterThanOrEqual(3);
    const chartFrame = page.frames().find((f) => f.url().endsWith("/static/chart-frame.html"));
    expect(await chartFrame!.$$eval("svg .mark-rect path", (p) => p.length)).toBe(3);
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      // Tall enough for the whole run page: out-of-process frames below the fold are not painted.
      await page.setViewportSize({ width: 1400, height: 4200 });
      await page.waitForTimeout(1500);
      await page.fill("#logs input.log-search", "");
      await (await page.$("#run-detail"))!.screenshot({ path: join(SHOTS, "run-page.png") });
    }
    expect(await pwned(page)).toBeUndefined();
    expect(errors.filter((e) => !/chart-frame|Refused to|sandboxed|Blocked script/.test(e))).toEqual([]);
    await page.close();
  });

  it("runs no script from a hostile Vega spec, HTML event or log line in the dashboard's origin", async () => {
    const { page, errors } = await open();
    const hostile = page.locator('#charts .card[data-stream="hostile"] iframe');
    // Vega's parser refuses the spec's expressions (no member named constructor, no function values).
    await expect.poll(() => hostile.getAttribute("data-rendered"), { timeout: 30_000 }).toBe("error");
    // A click on the javascript: link is refused by the sandbox / CSP, not run.
    const inner = page.frames().filter((f) => f.url().endsWith("/static/chart-frame.html"));
    for (const f of inner) await f.click("svg a", { timeout: 2000 }).catch(() => undefined);
    await page.waitForTimeout(500);
    expect(await pwned(page)).toBeUndefined();
    // The chart frame is an opaque origin: it cannot read the dashboard's DOM or call its API.
    const probe = await inner[0]!.evaluate(async () => {
      const out: string[] = [];
      try {
        out.push(String(window.parent.document.title));
      } catch {
        out.push("parent-blocked");
      }
      try {
        await fetch("/api/runs");
        out.push("fetch-ok");
      } catch {
        out.push("fetch-blocked");
      }
      out.push(String(window.origin));
      return out;
    });
    expect(probe).toEqual(["parent-blocked", "fetch-blocked", "null"]);
    expect(errors.filter((e) => e.startsWith("dialog"))).toEqual([]);
    await page.close();
  });

  it("shows a running run's new log lines, system points and events without a reload", async () => {
    const { page, errors } = await open();
    const before = await page.$eval('#system .card[data-resource="cpu"]', (c) => Number((c as HTMLElement).dataset.total));
    process.stdout.write("epoch 2 finished: live line\n");
    run.logText("notes", "second note, written while the page is open", { step: 2 });
    run.logHistogram("weights", [1, 2, 3, 4, 5], { step: 5, bins: 5 });
    await expect.poll(() => page.$eval("#logs pre.logs", (p) => p.textContent), { timeout: 30_000 }).toContain("epoch 2 finished: live line");
    await expect.poll(() => page.$eval('#texts .card[data-stream="notes"] pre', (p) => p.textContent), { timeout: 30_000 }).toBe("second note, written while the page is open");
    await expect.poll(() => page.$eval('#histograms .card[data-stream="weights"]', (c) => (c as HTMLElement).dataset.step), { timeout: 30_000 }).toBe("5");
    await expect.poll(() => page.$eval('#system .card[data-resource="cpu"]', (c) => Number((c as HTMLElement).dataset.total)), { timeout: 30_000 }).toBeGreaterThan(before);
    const live = await page.evaluate(() => (window as unknown as { runtrailRunPage: { refreshed: Record<string, number>; polls: number } }).runtrailRunPage);
    expect(live.refreshed.logs).toBeGreaterThanOrEqual(1);
    expect(live.refreshed.system).toBeGreaterThanOrEqual(1);
    if (SHOTS) await (await page.$("#logs"))!.screenshot({ path: join(SHOTS, "run-page-logs.png") });
    expect(errors.filter((e) => !/chart-frame|Refused to|sandboxed|Blocked script/.test(e))).toEqual([]);
    await page.close();
  });
});

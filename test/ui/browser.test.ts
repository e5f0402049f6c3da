import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { renderReportHtml } from "../../src/ui/report-html.js";
import { createDashboardApp, startDashboard, type RunningDashboard } from "../../src/ui/server.js";
import { buildSnapshot } from "../../src/ui/snapshot.js";
import { describeBrowser, launchChromium, newPage, screenshot } from "../helpers/browser.js";
import { makeBigMetricRun, makeFixtureRoot } from "../helpers/make-run.js";

type Fixture = Awaited<ReturnType<typeof makeFixtureRoot>>;

describeBrowser("dashboard in headless Chromium", () => {
  let fx: Fixture;
  let big: Awaited<ReturnType<typeof makeBigMetricRun>>;
  let dash: RunningDashboard;
  let browser: Browser;

  beforeAll(async () => {
    fx = await makeFixtureRoot();
    big = await makeBigMetricRun(fx.offlineRoot, 1_000_000);
    dash = await startDashboard({ root: fx.offlineRoot, port: 0 });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.close();
    if (fx) rmSync(fx.base, { recursive: true, force: true });
  });

  /** Ticks exactly `ids` for comparison and waits until the charts show them. */
  async function compare(page: Page, ids: string[]): Promise<void> {
    for (const box of await page.$$("input.compare")) {
      const id = await box.getAttribute("data-run");
      if ((await box.isChecked()) !== ids.includes(id!)) await box.click();
    }
    const want = (await page.$$eval("#runs-table tr.run-row", (trs) => trs.map((t) => (t as HTMLElement).dataset.run!))).filter((id) => ids.includes(id)).join(",");
    await page.waitForFunction((w) => document.body.dataset.compared === w, want);
  }

  async function focus(page: Page, id: string): Promise<void> {
    await page.click(`tr.run-row[data-run="${id}"] td.run-name`);
    await page.waitForSelector(`#run-detail[data-run="${id}"][data-ready="1"]`);
  }

  async function open(): Promise<{ page: Page; errors: string[] }> {
    const p = await newPage(browser);
    await p.page.goto(dash.url);
    await p.page.waitForSelector("body[data-ready='1']");
    return p;
  }

  it("lists the runs with status, duration and last metrics", async () => {
    const { page, errors } = await open();
    const rows = await page.$$eval("#runs-table tr.run-row", (trs) =>
      trs.map((t) => ({
        id: (t as HTMLElement).dataset.run,
        status: t.querySelector(".status")!.textContent,
        name: t.querySelector(".run-name")!.textContent,
        metrics: Array.from(t.querySelectorAll("td.col-metric")).map((td) => (td as HTMLElement).dataset.col).join(" "),
      })),
    );
    expect(rows).toHaveLength(4);
    expect(rows.find((r) => r.id === fx.diverged.id)?.status).toBe("failed");
    expect(rows.find((r) => r.id === fx.baseline.id)?.name).toContain("baseline");
    expect(rows.find((r) => r.id === fx.baseline.id)?.metrics).toContain("metric:loss");
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("draws the logged points, overlays compared runs, switches x to time and smooths", async () => {
    const { page, errors } = await open();
    await compare(page, [fx.baseline.id]);
    const card = page.locator('.metric-card[data-metric="loss"]');
    await expect(card.getAttribute("data-points")).resolves.toBe("50");
    const data = await page.evaluate(() => (window as any).runtrail.metrics.get("loss").chart.data as number[][]);
    expect(data[0]).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(data[1]).toEqual(fx.baseline.loss);
    expect(await page.locator('.metric-card[data-metric="loss"] canvas').count()).toBe(1);

    await compare(page, [fx.baseline.id, fx.wider.id]);
    expect((await card.getAttribute("data-runs"))!.split(",").sort()).toEqual([fx.baseline.id, fx.wider.id].sort());
    const series = await page.evaluate(() => (window as any).runtrail.metrics.get("loss").chart.series.length as number);
    expect(series).toBe(3); // x + one per run
    await screenshot(page, "dashboard-compare");

    await page.check('input[name=x][value=time]');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.metric-card[data-metric="loss"]')?.dataset.x === "time");
    const x0 = await page.evaluate(() => (window as any).runtrail.metrics.get("loss").chart.data[0][0] as number);
    expect(x0).toBe(Date.UTC(2025, 0, 15, 10) / 1000 + 1);
    await page.check('input[name=x][value=step]');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.metric-card[data-metric="loss"]')?.dataset.x === "step");

    await compare(page, [fx.baseline.id]);
    await page.locator("#smoothing").fill("0.9");
    const smoothed = await page.evaluate(() => {
      const u = (window as any).runtrail.metrics.get("loss").chart;
      return { series: u.series.length as number, raw: u.data[1] as number[], smooth: u.data[2] as number[] };
    });
    expect(smoothed.series).toBe(3); // x + raw (faint) + smoothed
    expect(smoothed.raw).toEqual(fx.baseline.loss);
    expect(smoothed.smooth[49]).not.toBeCloseTo(fx.baseline.loss[49]!, 3);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("moves the model step slider to another checkpoint and shows its step, metrics and marks", async () => {
    const { page, errors } = await open();
    await focus(page, fx.baseline.id);
    const card = page.locator('.model-card[data-model="model"]');
    await expect(card.getAttribute("data-step")).resolves.toBe("50");
    expect(await card.locator(".model-step").textContent()).toBe("step 50");
    expect(await card.locator(".marks").textContent()).toContain("latest");
    await screenshot(page, "dashboard-run");

    const slider = card.locator('input[type="range"]');
    await slider.focus();
    await page.keyboard.press("Home");
    await expect(card.getAttribute("data-step")).resolves.toBe("10");
    expect(await card.locator(".marks").textContent()).toContain("removed");

    const bestIndex = fx.baseline.modelSteps.indexOf(fx.baseline.bestStep);
    for (let i = 0; i < bestIndex; i++) await page.keyboard.press("ArrowRight");
    await expect(card.getAttribute("data-step")).resolves.toBe(String(fx.baseline.bestStep));
    expect(await card.locator(".model-step").textContent()).toBe(`step ${fx.baseline.bestStep}`);
    expect(await card.locator(".marks").textContent()).toContain("best");
    const valLoss = await card.locator('tr[data-metric="val_loss"] td.value').textContent();
    expect(Number(valLoss)).toBeCloseTo(fx.baseline.modelSpec.get(fx.baseline.bestStep)!.val_loss, 3);
    expect(await card.locator(".version-facts").first().textContent()).toContain("onnx");
    expect(await card.locator(".version-facts").first().textContent()).toContain(`assets/model/model_${fx.baseline.bestStep}`);
    expect(await card.textContent()).not.toMatch(/\bnull\b|undefined/);
    await screenshot(page, "dashboard-model-best");
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("shows curves, confusion matrices, images by step and the lineage table", async () => {
    const { page, errors } = await open();
    await focus(page, fx.baseline.id);
    expect(Number(await page.locator('.curve-card[data-curve="roc"]').getAttribute("data-points"))).toBeGreaterThan(1);
    expect(await page.locator('.curve-card[data-curve="roc"] canvas').count()).toBe(1);
    expect(await page.locator('.curve-card[data-curve="roc"] .curve-title').textContent()).toMatch(/^roc · AUC /);
    const cells = await page.$$eval('.confusion-card[data-confusion="confusion"] tbody td', (tds) => tds.map((t) => t.textContent));
    expect(cells).toEqual(["9", "1", "0", "1", "8", "1", "0", "2", "8"]);

    const img = page.locator('.image-box[data-image="samples"] img');
    await page.waitForFunction(() => (document.querySelector('.image-box[data-image="samples"] img') as HTMLImageElement)?.naturalWidth > 0);
    expect(await img.getAttribute("data-path")).toBe("assets/image/samples_50.png");
    await page.locator('.image-box[data-image="samples"] input[type="range"]').focus();
    await page.keyboard.press("Home");
    expect(await img.getAttribute("data-path")).toBe("assets/image/samples_10.png");
    await page.waitForFunction(() => (document.querySelector('.image-box[data-image="samples"] img') as HTMLImageElement)?.complete);
    expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(32);

    const lineage = await page.$$eval("#lineage tbody tr", (trs) => trs.map((t) => Array.from(t.querySelectorAll("td"), (td) => td.textContent)));
    expect(lineage).toContainEqual(expect.arrayContaining(["train-data", "data", "s3://datasets/mnist/train.csv", "input"]));
    const modelRow = lineage.find((r) => r[0] === "model");
    expect(modelRow?.[4]).toContain("framework onnx");
    expect(modelRow?.[4]).toContain(`best step ${fx.baseline.bestStep}`);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("plots a million-point metric from at most 2000 server-downsampled points", async () => {
    const { page, errors } = await open();
    let bytes = 0;
    page.on("response", async (res) => {
      if (res.url().includes("/metrics/big_loss")) bytes += (await res.body()).length;
    });
    await compare(page, [big.id]);
    const card = page.locator('.metric-card[data-metric="big_loss"]');
    expect(await card.getAttribute("data-total")).toBe("1000000");
    const n = Number(await card.getAttribute("data-points"));
    expect(n).toBeLessThanOrEqual(2000);
    const max = await page.evaluate(() => Math.max(...((window as any).runtrail.metrics.get("big_loss").chart.data[1] as number[])));
    expect(max).toBe(50);
    expect(bytes).toBeLessThan(100_000);
    await screenshot(page, "dashboard-million");
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("opens the static report from disk with no network and shows the same charts", async () => {
    const app = createDashboardApp(fx.offlineRoot);
    const html = renderReportHtml(await buildSnapshot(app, fx.baseline.id));
    const file = join(fx.base, "report.html");
    writeFileSync(file, html);
    const { page, errors } = await newPage(browser);
    const requests: string[] = [];
    await page.route("**/*", (route) => {
      const u = route.request().url();
      if (u.startsWith("file:") || u.startsWith("data:")) return route.continue();
      requests.push(u);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector("body[data-ready='1']");
    expect(await page.locator("#runs-table tr.run-row").count()).toBe(1);
    const data = await page.evaluate(() => (window as any).runtrail.metrics.get("loss").chart.data as number[][]);
    expect(data[1]).toEqual(fx.baseline.loss);
    const card = page.locator('.model-card[data-model="model"]');
    await card.locator('input[type="range"]').focus();
    await page.keyboard.press("Home");
    await expect(card.getAttribute("data-step")).resolves.toBe("10");
    await page.waitForFunction(() => (document.querySelector('.image-box[data-image="samples"] img') as HTMLImageElement)?.naturalWidth > 0);
    expect(await page.locator("#lineage tbody tr").count()).toBeGreaterThan(5);
    await page.check('input[name=x][value=time]');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.metric-card[data-metric="loss"]')?.dataset.x === "time");
    await screenshot(page, "report");
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});

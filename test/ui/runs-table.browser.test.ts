import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pyFloatRepr, pyTimestamp } from "../../src/core/events/pyformat.js";
import { runReport } from "../../src/cli/report.js";
import { startDashboard, type RunningDashboard } from "../../src/ui/server.js";
import { describeBrowser, launchChromium, newPage } from "../helpers/browser.js";
import { sweepUuid, writeSweepRun, type SweepRunSpec } from "../helpers/sweep.js";

const SHOTS = process.env.RUNTRAIL_SCREENSHOTS === "1";
const IMG_DIR = fileURLToPath(new URL("../../docs/img", import.meta.url));

/** A 40-run sweep: lr × optimizer vary, batch is the same everywhere; the last run is still running. */
function sweepSpecs(): SweepRunSpec[] {
  const t0 = Date.UTC(2026, 0, 5, 9);
  const lrs = [0.1, 0.03, 0.01, 0.003, 0.001];
  return Array.from({ length: 40 }, (_, i) => {
    const lr = lrs[i % 5]!;
    const optimizer = i % 2 ? "sgd" : "adam";
    const final = 0.2 + Math.abs(Math.log10(lr) + 2) * 0.3 + (optimizer === "sgd" ? 0.15 : 0) + (i % 7) * 0.01;
    const steps = 20;
    return {
      uuid: sweepUuid(i, 16),
      name: `sweep-${String(i).padStart(2, "0")}`,
      project: i < 20 ? "mnist" : "cifar",
      status: i === 39 ? "running" : "succeeded",
      tags: i % 3 ? ["sweep"] : ["sweep", "<b>bold</b>"],
      createdMs: t0 + i * 60_000,
      durationS: 30 + i,
      inputs: { lr, optimizer, batch: 32 },
      metrics: {
        loss: Array.from({ length: steps }, (_, s) => final + (2 - final) * Math.exp(-s / 4)),
        acc: Array.from({ length: steps }, (_, s) => 1 - final / 2 - 0.4 * Math.exp(-s / 4)),
        // Overfits: lowest at step 12, so its best is not its last value.
        val_loss: Array.from({ length: steps }, (_, s) => final + 0.1 + ((s - 12) * (s - 12)) / 100),
      },
    };
  });
}

describeBrowser("runs table and comparison views in headless Chromium", () => {
  let root: string;
  let specs: SweepRunSpec[];
  let dash: RunningDashboard;
  let browser: Browser;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "runtrail-runs-table-"));
    specs = sweepSpecs();
    for (const s of specs) writeSweepRun(root, s);
    dash = await startDashboard({ root, port: 0 });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function open(path = "/"): Promise<{ page: Page; errors: string[] }> {
    const p = await newPage(browser);
    await p.page.goto(new URL(path, dash.url).href);
    await p.page.waitForSelector("body[data-ready='1']");
    return p;
  }

  const rowIds = (page: Page): Promise<string[]> => page.$$eval("#runs-table tr.run-row", (trs) => trs.map((t) => (t as HTMLElement).dataset.run!));
  const shot = async (page: Page, name: string): Promise<void> => {
    if (!SHOTS) return;
    mkdirSync(IMG_DIR, { recursive: true });
    await page.screenshot({ path: join(IMG_DIR, `${name}.png`), fullPage: false });
  };

  it("shows the inputs that differ as columns, hides the one that does not, and renders tags as text", async () => {
    const { page, errors } = await open();
    const cols = await page.$$eval("#runs-table thead th", (ths) => ths.map((t) => (t as HTMLElement).dataset.col ?? ""));
    expect(cols).toContain("input:lr");
    expect(cols).toContain("input:optimizer");
    expect(cols).toContain("metric:loss");
    expect(cols).not.toContain("input:batch");
    expect(await rowIds(page)).toHaveLength(40);
    const lr = await page.$eval(`tr.run-row[data-run="${specs[2]!.uuid}"] td[data-col="input:lr"]`, (td) => td.textContent);
    expect(lr).toBe("0.01");
    // A tag written as HTML is shown as its text, not parsed.
    expect(await page.$$eval("#runs-table td.tags b", (b) => b.length)).toBe(0);
    expect(await page.$eval(`tr.run-row[data-run="${specs[0]!.uuid}"] td.tags`, (td) => td.textContent)).toContain("<b>bold</b>");
    await page.click("#only-diff");
    expect(await page.$$eval("#runs-table thead th", (ths) => ths.map((t) => (t as HTMLElement).dataset.col))).toContain("input:batch");
    await shot(page, "dashboard-runs-table");
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it("shows each metric's best value on request, by its direction, instead of the last", async () => {
    const { page, errors } = await open();
    const run = specs[3]!;
    const cell = `tr.run-row[data-run="${run.uuid}"] td[data-col="metric:val_loss"]`;
    const vals = run.metrics!.val_loss!;
    expect(Number(await page.textContent(cell))).toBeCloseTo(vals.at(-1)!, 3);
    await page.click("#show-best");
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute("data-best"), cell);
    expect(Number(await page.getAttribute(cell, "data-best"))).toBe(Math.min(...vals));
    expect(Math.min(...vals)).not.toBe(vals.at(-1));
    expect(await page.getAttribute(cell, "title")).toBe("best at step 12 (last " + (await page.evaluate((v) => (window as any).RT.fmtNum(v), vals.at(-1)!)) + ")");
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it("narrows the rows to exactly the runs a typed query matches, and shows a bad query's error inline", async () => {
    const { page, errors } = await open();
    await page.fill("#query", "inputs.optimizer:sgd, inputs.lr:<0.01");
    await page.press("#query", "Enter");
    await page.waitForFunction(() => document.body.dataset.queried === "inputs.optimizer:sgd, inputs.lr:<0.01");
    const want = specs.filter((s) => s.inputs!.optimizer === "sgd" && (s.inputs!.lr as number) < 0.01).map((s) => s.uuid);
    expect((await rowIds(page)).sort()).toEqual(want.sort());
    expect(page.url()).toContain("q=inputs.optimizer");
    await page.fill("#query", "metrics.loss:<<1");
    await page.press("#query", "Enter");
    await page.waitForFunction(() => document.body.dataset.queried === "error");
    expect(await page.$eval("#query-error", (p) => (p as HTMLElement).hidden)).toBe(false);
    expect(await page.textContent("#query-error")).toMatch(/metrics\.loss/);
    expect((await rowIds(page)).sort()).toEqual(want.sort());
    expect(errors.filter((e) => !e.includes("400"))).toEqual([]);
    await page.close();
  }, 90_000);

  it("sorts by a column on the server, ascending then descending", async () => {
    const { page, errors } = await open();
    await page.click('#runs-table th[data-field="metrics.loss"]');
    await page.waitForFunction(() => document.body.dataset.sorted === "metrics.loss");
    const lossOf = (id: string): number => specs.find((s) => s.uuid === id)!.metrics!.loss!.at(-1)!;
    const asc = (await rowIds(page)).map(lossOf);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    await page.click('#runs-table th[data-field="metrics.loss"]');
    await page.waitForFunction(() => document.body.dataset.sorted === "-metrics.loss");
    const desc = (await rowIds(page)).map(lossOf);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    expect(page.url()).toContain("sort=-metrics.loss");
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it("brushing a parallel-coordinates axis narrows the table and the ticked runs to the runs inside it", async () => {
    const { page, errors } = await open();
    await page.click('#select-buttons button[data-select="all"]');
    await page.waitForFunction(() => document.body.dataset.compared!.split(",").length === 40);
    const axis = page.locator('#parcoords rect.pc-hit[data-col="input:lr"]');
    // The plot is redrawn after each table render (a live poll can land here): retry until it stands still.
    let box = await axis.boundingBox();
    for (let i = 0; !box && i < 50; i++) box = await page.waitForTimeout(100).then(() => axis.boundingBox());
    if (!box) throw new Error("the lr axis of the parallel coordinates was never drawn");
    // Drag over the top 30% of the lr axis (the largest learning rates).
    await page.mouse.move(box.x + box.width / 2, box.y + 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.3, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => document.body.dataset.brushed !== undefined);
    const range = await page.evaluate(() => {
      const b = (window as any).runtrail.brush["input:lr"];
      return { lo: b.scale.lo + b.from * (b.scale.hi - b.scale.lo), hi: b.scale.lo + b.to * (b.scale.hi - b.scale.lo) };
    });
    const inside = specs.filter((s) => (s.inputs!.lr as number) >= range.lo - 1e-12 && (s.inputs!.lr as number) <= range.hi + 1e-12).map((s) => s.uuid);
    expect(inside.length).toBeGreaterThan(0);
    expect(inside.length).toBeLessThan(40);
    expect((await rowIds(page)).sort()).toEqual([...inside].sort());
    await page.waitForFunction((n) => document.body.dataset.compared!.split(",").filter(Boolean).length === n, inside.length);
    expect((await page.evaluate(() => document.body.dataset.compared!.split(","))).sort()).toEqual([...inside].sort());
    await shot(page, "dashboard-parallel-coordinates");
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it("restores query, sort, ticked runs and the open run from a pasted link", async () => {
    const sgd = specs.filter((s) => s.inputs!.optimizer === "sgd");
    const ticked = [sgd[0]!.uuid, sgd[3]!.uuid];
    const openRun = sgd[5]!.uuid;
    const link = `/?q=${encodeURIComponent("inputs.optimizer:sgd")}&sort=${encodeURIComponent("-inputs.lr")}&sel=${ticked.join(",")}&run=${openRun}`;
    const { page, errors } = await open(link);
    expect(await page.inputValue("#query")).toBe("inputs.optimizer:sgd");
    const ids = await rowIds(page);
    expect(ids.sort()).toEqual(sgd.map((s) => s.uuid).sort());
    const lrs = (await rowIds(page)).map((id) => specs.find((s) => s.uuid === id)!.inputs!.lr as number);
    expect(lrs).toEqual([...lrs].sort((a, b) => b - a));
    expect((await page.evaluate(() => document.body.dataset.compared!.split(","))).sort()).toEqual([...ticked].sort());
    await page.waitForSelector(`#run-detail[data-run="${openRun}"][data-ready="1"]`);
    await shot(page, "dashboard-compare");
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it("writes a comparison report of a query's runs that opens from disk with the table, charts and parallel coordinates", async () => {
    const out = join(root, "..", `runtrail-compare-${process.pid}.html`);
    const lines: string[] = [];
    expect(await runReport(["-q", "project:cifar, inputs.optimizer:adam", "--sort", "inputs.lr", "--root", root, "-o", out], (l) => lines.push(l))).toBe(0);
    const want = specs.filter((s) => s.project === "cifar" && s.inputs!.optimizer === "adam").sort((a, b) => (a.inputs!.lr as number) - (b.inputs!.lr as number));
    const { page, errors } = await (async () => {
      const p = await newPage(browser);
      await p.page.route(/^https?:/, (r) => r.abort());
      await p.page.goto(pathToFileURL(out).href);
      await p.page.waitForSelector("body[data-ready='1']");
      return p;
    })();
    const ids = await rowIds(page);
    expect(ids.sort()).toEqual(want.map((s) => s.uuid).sort());
    expect((await page.evaluate(() => document.body.dataset.compared!.split(","))).sort()).toEqual(want.map((s) => s.uuid).sort());
    expect(await page.getAttribute("#parcoords", "data-lines")).toBe(String(want.length));
    expect(await page.getAttribute('.metric-card[data-metric="loss"]', "data-runs")).toBeTruthy();
    expect((await page.getAttribute('.metric-card[data-metric="loss"]', "data-runs"))!.split(",")).toHaveLength(want.length);
    await shot(page, "report-compare");
    expect(errors).toEqual([]);
    await page.close();
    rmSync(out, { force: true });
    await expect(runReport(["-q", "metrics.loss:<<1", "--root", root, "-o", out], () => undefined)).rejects.toThrow(/metrics\.loss/);
    await expect(runReport(["-q", "project:nothing-here", "--root", root, "-o", out], () => undefined)).rejects.toThrow(/no run/);
  }, 120_000);

  it("shows a running run's new points and a new run without reload", async () => {
    const running = specs[39]!;
    const { page, errors } = await open(`/?sel=${running.uuid}`);
    await page.waitForSelector('.metric-card[data-metric="loss"]');
    expect(await page.getAttribute('.metric-card[data-metric="loss"]', "data-points")).toBe("20");
    const file = join(root, running.uuid, "events", "metric", "loss.plx");
    let s = "";
    for (let i = 20; i < 30; i++) s += `\n${i}|${pyTimestamp(running.createdMs + i * 1000)}|${pyFloatRepr(0.5 - i / 1000)}`;
    appendFileSync(file, s);
    await page.waitForFunction(() => document.querySelector('.metric-card[data-metric="loss"]')?.getAttribute("data-points") === "30", undefined, { timeout: 30_000 });
    const fresh: SweepRunSpec = { uuid: sweepUuid(999, 16), name: "late-arrival", project: "mnist", status: "running", createdMs: Date.now(), inputs: { lr: 0.5, optimizer: "adam", batch: 32 }, metrics: { loss: [1, 0.9] } };
    writeSweepRun(root, fresh);
    await page.waitForSelector(`tr.run-row[data-run="${fresh.uuid}"]`, { timeout: 30_000 });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});

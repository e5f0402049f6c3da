import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardApp, type DashboardApp } from "../../src/ui/server.js";
import { makeBigMetricRun, makeFixtureRoot } from "../helpers/make-run.js";

type Fixture = Awaited<ReturnType<typeof makeFixtureRoot>>;
let fx: Fixture;
let app: DashboardApp;
let big: Awaited<ReturnType<typeof makeBigMetricRun>>;

const BIG_N = 1_000_000;

beforeAll(async () => {
  fx = await makeFixtureRoot();
  big = await makeBigMetricRun(fx.offlineRoot, BIG_N);
  app = createDashboardApp(fx.offlineRoot);
}, 120_000);
afterAll(() => rmSync(fx.base, { recursive: true, force: true }));

async function getJson<T = any>(url: string): Promise<T> {
  const res = await app.handle("GET", url);
  expect(res.status, `${url}: ${res.body.toString()}`).toBe(200);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  return JSON.parse(res.body.toString("utf8")) as T;
}

describe("dashboard JSON API (no port)", () => {
  it("uses <root>/runs of an offline root, and a run folder's parent", async () => {
    expect(app.runsRoot.endsWith(join("plx", "runs"))).toBe(true);
    const fromRun = createDashboardApp(fx.baseline.path);
    expect(fromRun.runsRoot).toBe(app.runsRoot);
  });

  it("lists runs with status, duration and last metrics", async () => {
    const runs = await getJson("/api/runs");
    expect(runs.map((r: any) => r.name).sort()).toEqual(["baseline", "big", "diverged", "wider"]);
    const b = runs.find((r: any) => r.name === "baseline");
    expect(b).toMatchObject({ id: fx.baseline.id, uuid: fx.baseline.uuid, status: "succeeded", project: "fixtures" });
    expect(typeof b.duration).toBe("number");
    expect(b.metrics.loss).toEqual({ step: 50, value: fx.baseline.loss.at(-1) });
    expect(runs.find((r: any) => r.name === "diverged").status).toBe("failed");
    expect(runs.find((r: any) => r.name === "big").metrics.big_loss).toEqual({ step: BIG_N - 1, value: big.last });
  });

  it("returns one run's metadata, lineage and streams", async () => {
    const d = await getJson(`/api/runs/${fx.baseline.id}`);
    expect(d.meta.uuid).toBe(fx.baseline.uuid);
    expect(d.streams).toContainEqual({ kind: "metric", name: "loss" });
    expect(d.streams).toContainEqual({ kind: "model", name: "model" });
    const names = d.lineage.map((r: any) => `${r.kind}:${r.name}`);
    expect(names).toEqual(expect.arrayContaining(["data:train-data", "model:model", "model:exported", "metric:loss", "curve:roc"]));
  });

  it("serves a metric stream with every logged point when small, x = step or time", async () => {
    const s = await getJson(`/api/runs/${fx.baseline.id}/metrics/loss`);
    expect(s.total).toBe(50);
    expect(s.x).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(s.y).toEqual(fx.baseline.loss);
    const t = await getJson(`/api/runs/${fx.baseline.id}/metrics/loss?x=time&points=100`);
    expect(t.xKind).toBe("time");
    expect(t.x[0]).toBe(Date.UTC(2025, 0, 15, 10) / 1000 + 1);
    expect(t.x[49] - t.x[0]).toBe(49);
  });

  it("downsamples a million-point metric on the server, keeping the spike, quickly", async () => {
    const url = `/api/runs/${big.id}/metrics/big_loss`;
    let t = performance.now();
    const res = await app.handle("GET", url);
    const first = performance.now() - t;
    const s = JSON.parse(res.body.toString());
    expect(s.total).toBe(BIG_N);
    expect(s.x.length).toBeLessThanOrEqual(2000);
    expect(s.x[0]).toBe(0);
    expect(s.x.at(-1)).toBe(BIG_N - 1);
    expect(s.y).toContain(50);
    expect(s.x[s.y.indexOf(50)]).toBe(big.spikeAt);
    expect(res.body.length).toBeLessThan(100_000);
    t = performance.now();
    const again = await app.handle("GET", `${url}?x=time&points=500`);
    const cached = performance.now() - t;
    expect(JSON.parse(again.body.toString()).x.length).toBeLessThanOrEqual(500);
    console.log(`1M-point metric: first answer ${first.toFixed(0)} ms (parse + downsample), cached ${cached.toFixed(0)} ms`);
    expect(first).toBeLessThan(10_000);
    expect(cached).toBeLessThan(1_000);
  }, 30_000);

  it("lists model versions with step, framework, metrics, size and best/latest marks", async () => {
    const [m] = await getJson(`/api/runs/${fx.baseline.id}/models`);
    expect(m.name).toBe("model");
    expect(m.framework).toBe("onnx");
    expect(m.versions.map((v: any) => v.step)).toEqual(fx.baseline.modelSteps);
    expect(m.best).toMatchObject({ step: fx.baseline.bestStep, monitor: "val_loss" });
    for (const v of m.versions) {
      expect(v.framework).toBe("onnx");
      expect(v.metrics).toEqual(fx.baseline.modelSpec.get(v.step));
      expect(v.best).toBe(v.step === fx.baseline.bestStep);
      expect(v.latest).toBe(v.step === 50);
      expect(v.exists).toBe(fx.baseline.keptSteps.includes(v.step));
      expect(v.size).toBe(v.exists ? 1000 * v.step : null);
    }
  });

  it("serves curves, confusion matrices, images and image bytes", async () => {
    const roc = await getJson(`/api/runs/${fx.baseline.id}/curves/roc`);
    expect(roc.map((r: any) => r.step)).toEqual([25, 50]);
    expect(roc[1].value.kind).toBe("roc");
    const cm = await getJson(`/api/runs/${fx.baseline.id}/confusions/confusion`);
    expect(cm[1].value.z).toEqual([[9, 1, 0], [1, 8, 1], [0, 2, 8]]);
    const images = await getJson(`/api/runs/${fx.baseline.id}/images/samples`);
    expect(images.map((i: any) => i.step)).toEqual(fx.baseline.imageSteps);
    const png = await app.handle("GET", `/api/runs/${fx.baseline.id}/${images[0].path}`);
    expect(png.status).toBe(200);
    expect(png.headers["content-type"]).toBe("image/png");
    expect(png.body.equals(readFileSync(join(fx.baseline.path, images[0].path)))).toBe(true);
  });

  it("serves the page, its script and uPlot from node_modules", async () => {
    const page = await app.handle("GET", "/");
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(page.body.toString()).toContain("/vendor/uPlot.iife.min.js");
    const uplot = await app.handle("GET", "/vendor/uPlot.iife.min.js");
    expect(uplot.body.toString()).toContain("uPlot");
    expect((await app.handle("GET", "/static/app.js")).status).toBe(200);
  });

  it("is read-only and answers unknown things with 4xx JSON errors", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) expect((await app.handle(method, "/api/runs")).status).toBe(405);
    expect((await app.handle("GET", "/api/nothing")).status).toBe(404);
    expect((await app.handle("GET", `/api/runs/${"f".repeat(32)}`)).status).toBe(404);
    expect((await app.handle("GET", `/api/runs/${fx.baseline.id}/metrics/nope`)).status).toBe(404);
    expect((await app.handle("GET", `/api/runs/${fx.baseline.id}/metrics/loss?x=wall`)).status).toBe(400);
    expect((await app.handle("GET", `/api/runs/${fx.baseline.id}/metrics/loss?points=3`)).status).toBe(400);
    const res = await app.handle("GET", `/api/runs/${fx.baseline.id}/metrics/loss?points=abc`);
    expect(JSON.parse(res.body.toString())).toEqual({ error: "points must be a whole number" });
  });
});

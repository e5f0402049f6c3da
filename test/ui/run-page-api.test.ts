import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Run } from "../../src/index.js";
import { createDashboardApp } from "../../src/ui/server.js";

let base: string;
let root: string;
let runId: string;
let bareId: string;
let runPath: string;
let barePath: string;
const VEGA_LITE = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "bar", data: { values: [{ a: "x", b: 3 }, { a: "y", b: 5 }] }, encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } } };

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "runtrail-ui-runpage-"));
  root = join(base, "plx");
  const run = new Run({ offlineRoot: root, name: "page", collectResources: false, collectLogs: false, trackCode: false, trackEnv: true, handleExit: false });
  run.logText("notes", "first <b>note</b>", { step: 1 });
  run.logText("notes", "second note", { step: 2 });
  run.logHtml("report", "<p onclick=x>hi</p><script>parent.pwned=1</script>", { step: 1 });
  run.logChart("bars", VEGA_LITE, { step: 3 });
  run.logHistogram("weights", [0, 1, 1, 2, 2, 2, 3], { step: 1, bins: 3 });
  run.logHistogram("weights", [5, 5, 6], { step: 2, bins: 2 });
  await run.end();
  runPath = run.artifactsPath;
  runId = basename(runPath);
  const bare = new Run({ offlineRoot: root, name: "bare", collectResources: false, collectLogs: false, trackCode: false, trackEnv: false, handleExit: false });
  await bare.end();
  barePath = bare.artifactsPath;
  bareId = basename(barePath);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await createDashboardApp(root).handle("GET", url);
  return { status: res.status, body: JSON.parse(res.body.toString("utf8")) };
}

describe("dashboard API: the run page's text, HTML, chart and histogram events, env, changes", () => {
  it("serves text and HTML rows as the stored strings (the page decides how to show them)", async () => {
    const text = await get(`/api/runs/${runId}/events/text/notes`);
    expect(text.status).toBe(200);
    expect(text.body.map((r: any) => [r.step, r.value])).toEqual([
      [1, "first <b>note</b>"],
      [2, "second note"],
    ]);
    const html = await get(`/api/runs/${runId}/events/html/report`);
    expect(html.body[0].value).toBe("<p onclick=x>hi</p><script>parent.pwned=1</script>");
  });

  it("serves a chart's kind and figure decoded from Polyaxon's double-encoded JSON", async () => {
    const chart = await get(`/api/runs/${runId}/events/chart/bars`);
    expect(chart.body).toHaveLength(1);
    expect(chart.body[0].step).toBe(3);
    expect(chart.body[0].value).toEqual({ kind: "vega", figure: VEGA_LITE });
  });

  it("serves histograms in Polyaxon's layout (values = bin counts, counts = n+1 edges)", async () => {
    const h = await get(`/api/runs/${runId}/events/histogram/weights`);
    expect(h.body.map((r: any) => r.step)).toEqual([1, 2]);
    expect(h.body[0].value.values).toEqual([1, 2, 4]);
    expect(h.body[0].value.counts).toHaveLength(4);
    expect(h.body[1].value.values.reduce((a: number, b: number) => a + b, 0)).toBe(3);
  });

  it("refuses kinds the route does not serve, bad names and missing streams", async () => {
    expect((await get(`/api/runs/${runId}/events/metric/notes`)).status).toBe(400);
    expect((await get(`/api/runs/${runId}/events/span/notes`)).status).toBe(400);
    expect((await get(`/api/runs/${runId}/events/text/..%2Fx`)).status).toBe(400);
    expect((await get(`/api/runs/${runId}/events/text/nothing`)).status).toBe(404);
    expect((await get(`/api/runs/${runId}/events/text`)).status).toBe(404);
  });

  it("serves outputs/env.json, and null for a run without one", async () => {
    const env = await get(`/api/runs/${runId}/env`);
    expect(env.status).toBe(200);
    expect(env.body.pid).toEqual(expect.any(Number));
    expect(typeof env.body.hostname).toBe("string");
    expect((await get(`/api/runs/${bareId}/env`)).body).toBeNull();
  });

  it("refuses an env.json that is a symlink out of the run", async () => {
    const other = join(base, "secret.json");
    writeFileSync(other, JSON.stringify({ secret: 1 }));
    const dir = join(barePath, "outputs");
    mkdirSync(dir, { recursive: true });
    symlinkSync(other, join(dir, "env.json"));
    const res = await get(`/api/runs/${bareId}/env`);
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).not.toContain("secret");
    rmSync(join(dir, "env.json"));
  });

  it("stamps every watched file by size and mtime, and a write changes only that file's stamp", async () => {
    const before = (await get(`/api/runs/${runId}/changes`)).body as Record<string, string>;
    expect(Object.keys(before)).toEqual(expect.arrayContaining(["run.plx.json", "events/text/notes.plx", "events/chart/bars.plx", "events/histogram/weights.plx"]));
    for (const v of Object.values(before)) expect(v).toMatch(/^\d+:\d+$/);
    appendFileSync(join(runPath, "events", "text", "notes.plx"), `\n{"timestamp": "2024-05-01 12:00:00.000000+00:00", "step": 3, "text": "third"}`);
    const after = (await get(`/api/runs/${runId}/changes`)).body as Record<string, string>;
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(changed).toEqual(["events/text/notes.plx"]);
    const rows = (await get(`/api/runs/${runId}/events/text/notes`)).body;
    expect(rows, JSON.stringify(rows)).toHaveLength(3);
    expect(rows[2].value).toBe("third");
  });

  it("serves the chart frame with a sandboxing CSP and no eval, and the page CSP allows only same-origin frames", async () => {
    const app = createDashboardApp(root);
    const frame = await app.handle("GET", "/static/chart-frame.html");
    const csp = String(frame.headers["content-security-policy"]);
    expect(csp).toContain("sandbox allow-scripts");
    expect(csp).not.toContain("allow-same-origin");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toMatch(/connect-src|default-src 'none'/);
    const page = await app.handle("GET", "/");
    expect(String(page.headers["content-security-policy"])).toContain("frame-src 'self'");
    const interp = await app.handle("GET", "/vendor/vega-interpreter.js");
    expect(interp.status).toBe(200);
    expect(String(interp.body)).not.toMatch(/^(import|export) /m);
    expect(String(interp.body)).toContain("globalThis.vegaInterpreter");
  });
});

import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardApp, startDashboard, type DashboardApp, type RunningDashboard } from "../../src/ui/server.js";
import { makeFixtureRoot } from "../helpers/make-run.js";

const CANARY = "CANARY-6f1d2e-must-never-be-served";
type Fixture = Awaited<ReturnType<typeof makeFixtureRoot>>;
let fx: Fixture;
let app: DashboardApp;
let dash: RunningDashboard;
let canaryFile: string;
let run: string;

beforeAll(async () => {
  fx = await makeFixtureRoot();
  run = fx.baseline.id;
  const outside = join(fx.base, "outside");
  mkdirSync(outside);
  canaryFile = join(outside, "secret.txt");
  writeFileSync(canaryFile, `${CANARY}\n`);
  // A folder outside the root that looks like a run, reachable only through a symlink.
  writeFileSync(join(outside, "run.plx.json"), JSON.stringify({ uuid: "x", status: "succeeded", name: CANARY }));
  mkdirSync(join(outside, "events", "metric"), { recursive: true });
  writeFileSync(join(outside, "events", "metric", "loss.plx"), `step|timestamp|metric\n1|2025-01-01 00:00:00.000000+00:00|1.0`);
  symlinkSync(outside, join(fx.runsRoot, "escape"));
  // Symlinks inside a real run that point outside the root.
  const victim = fx.wider.path;
  symlinkSync(canaryFile, join(fx.baseline.path, "assets", "image", "leak.png"));
  symlinkSync(canaryFile, join(fx.baseline.path, "events", "metric", "leak.plx"));
  mkdirSync(join(fx.baseline.path, "events", "text"), { recursive: true });
  symlinkSync(canaryFile, join(fx.baseline.path, "events", "text", "leak.plx"));
  mkdirSync(join(fx.baseline.path, "outputs"), { recursive: true });
  rmSync(join(fx.baseline.path, "outputs", "env.json"), { force: true });
  symlinkSync(canaryFile, join(fx.baseline.path, "outputs", "env.json"));
  rmSync(join(fx.diverged.path, "events", "metric"), { recursive: true });
  symlinkSync(join(outside, "events", "metric"), join(fx.diverged.path, "events", "metric"));
  rmSync(join(victim, "lineages.plx.json"));
  writeFileSync(join(outside, "lineage.json"), JSON.stringify([{ name: CANARY, kind: "file", path: "x" }]));
  symlinkSync(join(outside, "lineage.json"), join(victim, "lineages.plx.json"));
  app = createDashboardApp(fx.offlineRoot);
  dash = await startDashboard({ root: fx.offlineRoot, port: 0 });
}, 120_000);

afterAll(async () => {
  await dash?.close();
  rmSync(fx.base, { recursive: true, force: true });
});

/** Sends the raw path as-is (Node's client does not normalise `..`), returns status and body. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { port } = dash.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const TEMPLATES = [
  "/api/runs/{P}",
  "/api/runs/{P}/metrics/loss",
  "/api/runs/{R}/metrics/{P}",
  "/api/runs/{R}/models/{P}",
  "/api/runs/{R}/images/{P}",
  "/api/runs/{R}/curves/{P}",
  "/api/runs/{R}/confusions/{P}",
  "/api/runs/{R}/events/text/{P}",
  "/api/runs/{R}/events/{P}/loss",
  "/api/runs/{P}/env",
  "/api/runs/{P}/changes",
  "/api/runs/{R}/assets/{P}",
  "/api/runs/{R}/assets/image/{P}",
  "/api/runs/{R}/metrics/loss?x={P}",
  "/api/runs/{R}/metrics/loss?points={P}",
  "/api/{P}",
  "/static/{P}",
  "/vendor/{P}",
  "/{P}",
];

function payloads(): Array<[string, string]> {
  const abs = canaryFile;
  const rel = "../../../outside/secret.txt";
  return [
    ["dot-dot", ".."],
    ["relative traversal", rel],
    ["encoded slash", rel.replace(/\//g, "%2f")],
    ["encoded dots", "%2e%2e"],
    ["encoded dots and slashes", "%2e%2e%2f%2e%2e%2f%2e%2e%2foutside%2fsecret.txt"],
    ["upper-case encoding", "%2E%2E%2F%2E%2E%2Foutside%2Fsecret.txt"],
    ["half-encoded dots", ".%2e/.%2e/.%2e/outside/secret.txt"],
    ["double-encoded", "%252e%252e%252f%252e%252e%252f%252e%252e%252foutside%252fsecret.txt"],
    ["encoded backslashes", "..%5c..%5c..%5coutside%5csecret.txt"],
    ["backslashes", "..\\..\\..\\outside\\secret.txt"],
    ["absolute", abs],
    ["absolute, encoded", encodeURIComponent(abs)],
    ["NUL byte", "secret.txt%00.png"],
    ["overlong UTF-8 dots", "%c0%ae%c0%ae%c0%af"],
    ["dot-dot-dot", "....//....//outside/secret.txt"],
    ["symlinked run", "escape"],
  ];
}

function url(template: string, payload: string): string {
  return template.replace("{R}", run).replace("{P}", payload);
}

describe("path traversal in every URL parameter", () => {
  for (const template of TEMPLATES) {
    it(`${template}: every traversal form is a 4xx without the canary (in memory and over HTTP)`, async () => {
      for (const [label, payload] of payloads()) {
        const u = url(template, payload);
        const mem = await app.handle("GET", u);
        expect(mem.status, `${label}: ${u}`).toBeGreaterThanOrEqual(400);
        expect(mem.status, `${label}: ${u}`).toBeLessThan(500);
        expect(mem.body.toString("latin1")).not.toContain(CANARY);
        const net = await rawGet(u);
        expect(net.status, `HTTP ${label}: ${u}`).toBeGreaterThanOrEqual(400);
        expect(net.status, `HTTP ${label}: ${u}`).toBeLessThan(500);
        expect(net.body).not.toContain(CANARY);
      }
    }, 30_000);
  }

  it("refuses symlinks inside a run that lead outside the root", async () => {
    for (const u of [
      `/api/runs/${run}/assets/image/leak.png`,
      `/api/runs/${run}/metrics/leak`,
      `/api/runs/${fx.diverged.id}/metrics/loss`,
      `/api/runs/escape`,
      `/api/runs/escape/metrics/loss`,
      `/api/runs/${fx.wider.id}`,
      `/api/runs/${fx.wider.id}/models`,
      `/api/runs/${run}/events/text/leak`,
      `/api/runs/${run}/env`,
      `/api/runs/escape/changes`,
      `/api/runs/${fx.wider.id}/changes`,
    ]) {
      const res = await rawGet(u);
      expect(res.status, u).toBe(403);
      expect(res.body).not.toContain(CANARY);
    }
  });

  it("lists neither the symlinked run nor anything read through a symlink", async () => {
    const res = await rawGet("/api/runs");
    expect(res.status).toBe(200);
    expect(res.body).not.toContain(CANARY);
    const runs = JSON.parse(res.body) as Array<{ id: string; status: string; metrics: Record<string, unknown> }>;
    expect(runs.map((r) => r.id)).not.toContain("escape");
    // The listing never reads lineage, so the symlinked lineages.plx.json of "wider" is not followed (its page is refused, below).
    expect(runs.find((r) => r.id === fx.wider.id)?.status).toBe("succeeded");
    expect(runs.find((r) => r.id === run)?.metrics).not.toHaveProperty("leak");
    expect(runs.find((r) => r.id === fx.diverged.id)?.metrics).toEqual({}); // its events/metric is a symlink out
  });

  it("still serves the legitimate files next to them", async () => {
    expect((await rawGet(`/api/runs/${run}/assets/image/samples_10.png`)).status).toBe(200);
    expect((await rawGet(`/api/runs/${run}/metrics/loss`)).status).toBe(200);
    // The run page's change stamps: real files only; a symlink out is neither listed nor stat-ed.
    const stamps = await rawGet(`/api/runs/${run}/changes`);
    expect(stamps.status).toBe(200);
    const keys = Object.keys(JSON.parse(stamps.body) as Record<string, string>);
    expect(keys).toContain("events/metric/loss.plx");
    expect(keys.filter((k) => k.includes("leak"))).toEqual([]);
  });
});

describe("network exposure", () => {
  it("binds 127.0.0.1 by default", () => {
    const addr = dash.server.address() as AddressInfo;
    expect(addr.address).toBe("127.0.0.1");
    expect(dash.url).toBe(`http://127.0.0.1:${addr.port}/`);
  });

  it("refuses a foreign Host header (DNS rebinding) and accepts loopback names", async () => {
    const { port } = dash.server.address() as AddressInfo;
    expect((await rawGet("/api/runs", { host: `evil.example:${port}` })).status).toBe(403);
    expect((await rawGet("/api/runs", { host: `localhost:${port}` })).status).toBe(200);
    expect((await rawGet("/api/runs", { host: `127.0.0.1:${port}` })).status).toBe(200);
  });

  it("sends nosniff and a sandboxing CSP on served assets", async () => {
    const { port } = dash.server.address() as AddressInfo;
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: `/api/runs/${run}/assets/image/samples_10.png` }, (res) => {
        res.resume();
        resolve(res.headers);
      })
        .on("error", reject)
        .end();
    });
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(String(headers["content-security-policy"])).toContain("sandbox");
  });
});

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFixtureRoot } from "../helpers/make-run.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const TSX = join(REPO, "node_modules", ".bin", "tsx");
const MAIN = join(REPO, "src", "cli", "main.ts");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsx src/cli/main.ts …` (what `npx tsx` runs) in a child process. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [MAIN, ...args], { cwd: REPO, env: { ...process.env, RUNTRAIL_DEBUG: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

type Fixture = Awaited<ReturnType<typeof makeFixtureRoot>>;
let fx: Fixture;

beforeAll(async () => {
  fx = await makeFixtureRoot();
}, 120_000);
afterAll(() => rmSync(fx.base, { recursive: true, force: true }));

describe("runtrail command line", { timeout: 60_000 }, () => {
  it("prints its version and help", async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };
    const v = await cli(["--version"]);
    expect(v).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const h = await cli(["--help"]);
    expect(h.code).toBe(0);
    for (const c of ["demo", "ls", "show", "ui", "report", "sync"]) expect(h.stdout).toContain(`  ${c}`);
    expect((await cli([])).code).toBe(2);
    const lsHelp = await cli(["ls", "--help"]);
    expect(lsHelp.code).toBe(0);
    expect(lsHelp.stdout).toContain("runtrail ls [root]");
  });

  it("reports bad usage on one line with exit code 2", async () => {
    const r = await cli(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^runtrail: unknown command "frobnicate"/);
    const bad = await cli(["ls", "--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("see `runtrail ls --help`");
    expect((await cli(["report", fx.baseline.path])).code).toBe(2);
    expect((await cli(["ui", "--port", "http"])).code).toBe(2);
  });

  it("ls lists the runs with status, duration and last metrics", async () => {
    const r = await cli(["ls", fx.offlineRoot]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^RUN\s+NAME\s+PROJECT\s+STATUS\s+CREATED\s+DURATION\s+.*\bloss\b/);
    const row = (name: string) => lines.find((l) => l.includes(` ${name} `)) ?? "";
    expect(row("baseline")).toContain(fx.baseline.id.slice(0, 12));
    expect(row("baseline")).toContain("succeeded");
    expect(row("baseline")).toMatch(/\b0\.1766\b/);
    expect(row("diverged")).toContain("failed");
    expect(r.stdout).toContain(`3 runs in ${fx.runsRoot}`);
    const json = JSON.parse((await cli(["ls", fx.offlineRoot, "--json"])).stdout) as Array<{ name: string }>;
    expect(json.map((j) => j.name).sort()).toEqual(["baseline", "diverged", "wider"]);
    const env = await cli(["ls"], { POLYAXON_OFFLINE_ROOT: fx.offlineRoot });
    expect(env.stdout).toContain("3 runs in");
  });

  it("ls on a missing root fails on one line, with the stack only under RUNTRAIL_DEBUG=1", async () => {
    const r = await cli(["ls", join(fx.base, "nope")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^runtrail: the runs root .*nope does not exist/);
    const d = await cli(["ls", join(fx.base, "nope")], { RUNTRAIL_DEBUG: "1" });
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/\n\s+at /);
  });

  it("show prints status, metrics, model versions and lineage", async () => {
    const r = await cli(["show", fx.baseline.uuid.slice(0, 8), "--root", fx.offlineRoot]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^run\s+[0-9a-f]{32}\s+\(baseline\)/);
    expect(out).toMatch(/status\s+succeeded/);
    expect(out).toMatch(/\nloss\s+0\.1766\s+50\s+0\.16\d+ \(min\)/);
    expect(out).toMatch(/\nacc\s+0\.9165\s+50\s+0\.9\d+ \(max\)/);
    expect(out).toContain(`MODEL model  framework=onnx  versions=5  best=step ${fx.baseline.bestStep} by val_loss`);
    const versionLine = (step: number) => out.split("\n").find((l) => new RegExp(`^\\s*${step}\\s+onnx`).test(l)) ?? "";
    expect(versionLine(10)).toContain("removed");
    expect(versionLine(fx.baseline.bestStep)).toMatch(/29\.3 KiB\s+val_loss=0\.316 val_acc=0\.85\d+\s+best/);
    expect(versionLine(50)).toMatch(/latest/);
    expect(out).toMatch(/\ntrain-data\s+data\s+s3:\/\/datasets\/mnist\/train\.csv\s+input/);
    expect(out).toMatch(/\nexported\s+model\s+outputs\/model\/exported\.onnx\s+output\s+framework=onnx/);

    const byPath = await cli(["show", fx.wider.path]);
    expect(byPath.code).toBe(0);
    expect(byPath.stdout).toContain("(wider)");
    const json = JSON.parse((await cli(["show", "diverged", "--root", fx.offlineRoot, "--json"])).stdout) as { status: string; models: Array<{ versions: unknown[] }> };
    expect(json.status).toBe("failed");
    expect(json.models[0]!.versions).toHaveLength(2);
    const missing = await cli(["show", "zzz", "--root", fx.offlineRoot]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^runtrail: no run "zzz" in /);
  });

  it("report writes one self-contained HTML file", async () => {
    const file = join(fx.base, "out", "report.html");
    rmSync(join(fx.base, "out"), { recursive: true, force: true });
    mkdirSync(join(fx.base, "out"));
    const r = await cli(["report", fx.baseline.id, "--root", fx.offlineRoot, "-o", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*report\.html \(\d+\.\d KiB\)/);
    const html = readFileSync(file, "utf8");
    expect(html).not.toMatch(/(src|href)="\/(?!\/)/); // nothing fetched from a server
    expect(html).toContain("window.RUNTRAIL_SNAPSHOT = ");
    expect(html).toContain("uPlot");
    expect(html).toContain("data:image/png;base64,");
    expect(html).toContain(`/api/runs/${fx.baseline.id}/metrics/loss?x=step&points=2000`);
    // Only the page's own scripts and the data script close a <script>: nothing from the run's files does.
    const pageScripts = readFileSync(new URL("../../src/ui/static/index.html", import.meta.url), "utf8").match(/<script[\s>]/g)!.length;
    expect(html.match(/<\/script>/g)!.length).toBe(pageScripts + 1);
  });

  it("ui serves the dashboard on 127.0.0.1 and stops on SIGINT", async () => {
    const child = spawn(TSX, [MAIN, "ui", fx.offlineRoot, "--port", "0"], { cwd: REPO });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /runtrail dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on("close", () => reject(new Error(`ui exited early: ${out}`)));
    });
    const runs = (await (await fetch(`${url}api/runs`)).json()) as unknown[];
    expect(runs).toHaveLength(3);
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it("dispatches demo lazily (its help loads no ML framework)", async () => {
    const demo = await cli(["demo", "--help"]);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/^runtrail demo/);
  });

  it("delegates sync to its own command (usage errors exit 2)", async () => {
    const sync = await cli(["sync"]);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toContain("usage: runtrail sync <run-path> s3://");
  });
});

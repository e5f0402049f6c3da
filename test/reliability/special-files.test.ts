// Special files (FIFO, socket, character device, a symlink to each, a folder that becomes a FIFO
// while it is being read) in every path argument and in every position of a run folder, for the
// API, the CLI and the dashboard. Each group runs in a child process killed after a time bound:
// nothing may hang, and every refusal must be a named runtrail error.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init } from "../../src/index.js";
import { collect, hungAt, runChild as runBounded, type ChildResult } from "../helpers/bounded-child.js";
import { spawnTs } from "../helpers/child.js";
import { makeSpecial, SPECIAL_TYPES } from "../helpers/special-files.js";
import { useTmp } from "../helpers/tmp.js";

const FIXTURE = "test/fixtures/special-files-child.ts";
/** Generous: a loaded 2-core machine compiles the fixture slowly. A hang never finishes at all. */
const CHILD_BOUND_MS = 150_000;
const runChild = (args: string[]): Promise<ChildResult> => runBounded(FIXTURE, args, CHILD_BOUND_MS);

/** Every position of a run folder that runtrail reads: its two JSON files, event folders and files, a served asset, the lock. */
const POSITIONS = [
  "run.plx.json",
  "lineages.plx.json",
  "events",
  "events/metric",
  "events/metric/loss.plx",
  "events/text/notes.plx",
  "events/image/img.plx",
  "assets/image/img_1.png",
  ".runtrail/lock",
] as const;

function expectFinished(r: ChildResult, what: string): void {
  expect(r.timedOut, `${what} hung at: ${hungAt(r.stdout)}`).toBe(false);
  expect(r.stdout, `${what} did not finish:\n${r.stdout.slice(-2000)}`).toContain("DONE");
}

/** Results that are errors without a runtrail name (a raw ENOTDIR, a TypeError…). */
function rawErrors(r: ChildResult): string[] {
  return [...r.results].filter(([, v]) => / raw /.test(v)).map(([k, v]) => `${k}: ${v}`);
}

const stats = { runFolders: 0, operations: 0, refusedNamed: 0, httpRequests: 0 };

describe("special files never hang runtrail", () => {
  const tmp = useTmp();
  let root = "";

  beforeAll(async () => {
    // Shared by several tests: made here and removed in afterAll (useTmp's folders go after each test).
    root = join(mkdtempSync(join(tmpdir(), "runtrail-special-")), "plx");
    const template = join(root, "template");
    const run = await init({ artifactsPath: template, handleExit: false, flushIntervalMs: 0 });
    run.logMetric("loss", 0.25, { step: 1 });
    run.logText("notes", "hello", { step: 1 });
    await run.logImage("img", new Uint8Array([137, 80, 78, 71]), { step: 1 });
    await run.end();
    mkdirSync(join(root, "runs"));
    for (const type of SPECIAL_TYPES) {
      for (const pos of POSITIONS) {
        const dir = join(root, "runs", `${type}--${pos.replace(/[/.]/g, "_")}`);
        cpSync(template, dir, { recursive: true });
        mkdirSync(join(dir, ".runtrail"), { recursive: true });
        await makeSpecial(join(dir, pos), type);
        stats.runFolders++;
      }
    }
  });

  afterAll(() => {
    rmSync(dirname(root), { recursive: true, force: true });
    console.log(
      `special files: ${SPECIAL_TYPES.length} kinds (${SPECIAL_TYPES.join(", ")}) × ${POSITIONS.length} run-folder positions = ${stats.runFolders} damaged runs; ` +
        `${stats.operations} API/CLI operations and ${stats.httpRequests} dashboard requests finished within their bound, ${stats.refusedNamed} refused with a named error`,
    );
  });

  const tally = (r: ChildResult): void => {
    stats.operations += r.results.size;
    stats.refusedNamed += [...r.results.values()].filter((v) => / named /.test(v)).length;
  };

  it("API readers and resume on every damaged run folder: a named error or success, within the bound", async () => {
    const r = await runChild(["run-files", root]);
    expectFinished(r, "run-files");
    tally(r);
    expect(rawErrors(r)).toEqual([]);
    // What must be refused, not read: the metadata and the stream files themselves.
    for (const type of SPECIAL_TYPES) {
      expect(r.results.get(`${type}--run_plx_json loadRun`)).toMatch(/^NotRegularFileError named/);
      expect(r.results.get(`${type}--lineages_plx_json loadRun`)).toMatch(/^NotRegularFileError named/);
      expect(r.results.get(`${type}--events_metric_loss_plx readEvents metric`)).toMatch(/^NotRegularFileError named/);
      expect(r.results.get(`${type}--events_metric_loss_plx resume+log+end`)).toMatch(/^NotRegularFileError named/);
      expect(r.results.get(`${type}--events_text_notes_plx readEvents text`)).toMatch(/^NotRegularFileError named/);
      // A damaged file the call does not need leaves it working.
      expect(r.results.get(`${type}--events_text_notes_plx readEvents metric`)).toBe("ok");
    }
  });

  it("API path arguments: special files, symlinks to them, folders holding them, and a folder or file swapped for a FIFO mid-call", async () => {
    for (const type of SPECIAL_TYPES) {
      const dir = join(tmp(), type);
      mkdirSync(dir);
      const r = await runChild(["path-args", dir, type]);
      expectFinished(r, `path-args ${type}`);
      tally(r);
      expect(rawErrors(r)).toEqual([]);
      for (const [opName, outcome] of r.results) {
        if (opName === "end") expect(outcome).toBe("ok");
        else expect(outcome, `${type} ${opName}`).toMatch(opName.startsWith("special loadRun") ? /^ArtifactNotFoundError named/ : /^(NotRegularFileError|InvalidValueError) named/);
      }
      expect(r.results.size).toBeGreaterThanOrEqual(22);
    }
  });

  it("CLI ls, show and report on every damaged run folder, within the bound", async () => {
    const r = await runChild(["cli", root]);
    expectFinished(r, "cli");
    tally(r);
    expect(r.results.get("ls")).toBe("ok");
    expect(rawErrors(r)).toEqual([]);
  });

  it("dashboard: every route of every damaged run answers, more requests than libuv has threads, and SIGTERM stops it", async () => {
    const child = spawnTs(FIXTURE, ["ui", root]);
    const done = collect(child, CHILD_BOUND_MS);
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /runtrail dashboard: (http:\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on("exit", () => reject(new Error(`ui exited early: ${out}`)));
    });
    const get = async (path: string): Promise<number> => {
      stats.httpRequests++;
      const res = await fetch(new URL(path, url), { signal: AbortSignal.timeout(60_000) });
      await res.arrayBuffer();
      return res.status;
    };
    // More concurrent listings than the 4 threads of libuv's pool: a stuck read would starve the rest.
    const listings = await Promise.all(Array.from({ length: 12 }, () => get("/api/runs")));
    expect(listings.every((s) => s === 200)).toBe(true);
    for (const type of SPECIAL_TYPES) {
      for (const pos of POSITIONS) {
        const id = `${type}--${pos.replace(/[/.]/g, "_")}`;
        const statuses = await Promise.all(
          ["", "/metrics/loss", "/images/img", "/models", "/assets/image/img_1.png"].map((p) => get(`/api/runs/${id}${p}`)),
        );
        // Answers, never a hang and never a 500: 200, or 4xx for what cannot be served.
        for (const s of statuses) expect(s, `${id}: ${statuses.join(",")}`).toBeLessThan(500);
      }
    }
    expect(await get("/api/runs")).toBe(200);
    child.kill("SIGTERM");
    const r = await done;
    expect(r.timedOut, "SIGTERM did not stop the dashboard").toBe(false);
    expect(r.stdout).toContain("UI-EXIT 0");
  });

  it("a folder flipping between folder and FIFO while the dashboard, the CLI and the API read the run", async () => {
    const dir = tmp();
    const runDir = join(dir, "runs", "flip");
    const run = await init({ artifactsPath: runDir, handleExit: false, flushIntervalMs: 0 });
    for (let i = 0; i < 50; i++) run.logMetric("loss", 1 / (i + 1), { step: i });
    await run.end();
    const flipper = spawnTs(FIXTURE, ["flip", runDir]);
    const flipped = collect(flipper, CHILD_BOUND_MS);
    await new Promise<void>((resolve) => flipper.stdout!.on("data", (d: Buffer) => d.toString().includes("FLIPPING") && resolve()));
    try {
      for (const mode of ["run-files", "cli"]) {
        const r = await runChild([mode, dir]);
        expectFinished(r, `${mode} while flipping`);
        tally(r);
      }
      const ui = spawnTs(FIXTURE, ["ui", dir]);
      const uiDone = collect(ui, CHILD_BOUND_MS);
      const url = await new Promise<string>((resolve) => {
        let out = "";
        ui.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /runtrail dashboard: (http:\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
      });
      for (let round = 0; round < 20; round++) {
        const statuses = await Promise.all(
          ["/api/runs", "/api/runs/flip", "/api/runs/flip/metrics/loss"].map(async (p) => {
            stats.httpRequests++;
            const res = await fetch(new URL(p, url), { signal: AbortSignal.timeout(60_000) });
            await res.arrayBuffer();
            return res.status;
          }),
        );
        for (const s of statuses) expect(s).toBeLessThan(500);
      }
      ui.kill("SIGTERM");
      const r = await uiDone;
      expect(r.timedOut).toBe(false);
      expect(r.stdout).toContain("UI-EXIT 0");
    } finally {
      flipper.kill("SIGKILL");
      await flipped;
    }
  });
});

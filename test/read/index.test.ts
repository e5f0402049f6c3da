import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { init, listRuns, getRun } from "../../src/index.js";
import { spawnTs, waitForExit } from "../helpers/child.js";
import { useTmp } from "../helpers/tmp.js";
import { sweepUuid, writeSweepRun, type SweepRunSpec } from "../helpers/sweep.js";
import { bruteForceRuns } from "./brute-force.js";
import { ageTree } from "../helpers/age.js";
import { noteRunChanged } from "../../src/core/read/change-log.js";

const T0 = Date.UTC(2024, 4, 1);
const spec = (i: number, over: Partial<SweepRunSpec> = {}): SweepRunSpec => ({
  uuid: sweepUuid(i),
  name: `run-${i}`,
  status: "succeeded",
  createdMs: T0 + i * 60_000,
  inputs: { lr: i / 100 },
  metrics: { loss: [1, 1 / (i + 1)] },
  ...over,
});

/**
 * Builds the index of an aged root and lists again once its folder times are old too: the first
 * listing creates `.runtrail/` in the root, and a root folder changed within the last 2 s is not
 * trusted (every run is looked at) — as right after a sweep wrote its last run.
 */
async function settledIndex(root: string): Promise<void> {
  await listRuns(root);
  const runsRoot = join(root, "runs");
  ageTree(runsRoot);
  await listRuns(root);
}

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${relative(dir, p)}:${statSync(p).mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}

const view = (r: { uuid: string; status: string | null; metrics: Record<string, unknown>; inputs: Record<string, unknown> }) => ({
  uuid: r.uuid,
  status: r.status,
  metrics: r.metrics,
  inputs: r.inputs,
});

describe("the run index", () => {
  const tmp = useTmp();

  it("survives processes listing while others write, and ends equal to the run folders", async () => {
    const base = tmp();
    const runsRoot = join(base, "runs");
    for (let i = 0; i < 30; i++) writeSweepRun(runsRoot, spec(i));
    const children = [0, 1, 2].map(() => spawnTs("test/fixtures/list-runs-child.ts", [base, "25"]));
    const exits = children.map((c) => waitForExit(c));
    const outs = children.map((c) => new Promise<string>((res) => {
      let s = "";
      c.stdout!.on("data", (d: Buffer) => (s += d.toString()));
      c.on("exit", () => res(s));
    }));
    // Meanwhile: new runs, rewritten runs, removed runs.
    for (let round = 0; round < 20; round++) {
      writeSweepRun(runsRoot, spec(100 + round, { status: "running" }));
      writeSweepRun(runsRoot, spec(round, { status: "failed", metrics: { loss: [round] } }));
      if (round % 5 === 0) rmSync(join(runsRoot, sweepUuid(20 + round / 5)), { recursive: true });
      await listRuns(base);
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const e of await Promise.all(exits)) expect(e.code, e.stderr).toBe(0);
    for (const o of await Promise.all(outs)) expect(o).toMatch(/listed 25 times/);
    expect(readFileSync(join(runsRoot, ".runtrail", "index"), "latin1").startsWith("runtrail-index ")).toBe(true);
    expect(readdirSync(join(runsRoot, ".runtrail")).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    const got = (await listRuns(base, { sort: "uuid" })).map(view);
    const want = bruteForceRuns(runsRoot).sort((a, b) => (a.uuid < b.uuid ? -1 : 1)).map(view);
    expect(got).toEqual(want);
  }, 240_000);

  it("writes nothing inside a run folder, and lists without an index where it cannot write one", async () => {
    const base = tmp();
    const runsRoot = join(base, "runs");
    for (let i = 0; i < 5; i++) writeSweepRun(runsRoot, spec(i));
    const before = readdirSync(runsRoot).filter((n) => !n.startsWith(".")).map((id) => files(join(runsRoot, id)));
    await listRuns(base);
    await listRuns(base, { query: "metrics.loss:<0.5" });
    expect(readdirSync(runsRoot).filter((n) => !n.startsWith(".")).map((id) => files(join(runsRoot, id)))).toEqual(before);
    // `.runtrail` taken by a file: the index cannot be written (as on a read-only root).
    const other = tmp();
    for (let i = 0; i < 5; i++) writeSweepRun(join(other, "runs"), spec(i));
    writeFileSync(join(other, "runs", ".runtrail"), "not a folder");
    expect((await listRuns(other, { sort: "-metrics.loss" })).map((r) => r.name)).toEqual(["run-0", "run-1", "run-2", "run-3", "run-4"]);
    expect(readFileSync(join(other, "runs", ".runtrail"), "utf8")).toBe("not a folder");
  });

  it("records a few changes in a journal and rewrites the index whole only when runs are removed", async () => {
    const base = tmp();
    const runsRoot = join(base, "runs");
    for (let i = 0; i < 30; i++) ageTree(writeSweepRun(runsRoot, spec(i)));
    ageTree(runsRoot); // an old root: its mtime is trusted
    await settledIndex(base);
    const index = join(runsRoot, ".runtrail", "index");
    const journal = join(runsRoot, ".runtrail", "index.journal");
    const before = statSync(index).ino;
    const lines = (): number => (existsSync(journal) ? readFileSync(journal, "utf8").trim().split("\n").length : 0);
    const linesBefore = lines();
    // A change as runtrail's writers make it: run.plx.json rewritten, then the change log told.
    noteRunChanged(ageTree(writeSweepRun(runsRoot, spec(3, { status: "failed", metrics: { loss: [0.001] } }))));
    expect((await listRuns(base, { sort: "metrics.loss", limit: 1 }))[0]).toMatchObject({ uuid: sweepUuid(3), status: "failed" });
    expect(statSync(index).ino).toBe(before); // not rewritten
    expect(lines()).toBe(linesBefore + 1);
    await listRuns(base);
    expect(lines()).toBe(linesBefore + 1); // nothing new to record
    rmSync(join(runsRoot, sweepUuid(4)), { recursive: true });
    expect(await listRuns(base)).toHaveLength(29);
    expect(statSync(index).ino).not.toBe(before);
    expect(existsSync(journal)).toBe(false);
    expect(readFileSync(index, "utf8")).toContain('"failed"');
  });

  it("finds a finished run edited in place by another tool: when it is listed, past recheckMs, or with recheckMs 0", async () => {
    const base = tmp();
    const runsRoot = join(base, "runs");
    for (let i = 0; i < 20; i++) ageTree(writeSweepRun(runsRoot, spec(i)));
    await settledIndex(base);
    const edit = (i: number, loss: number): void => void ageTree(writeSweepRun(runsRoot, spec(i, { status: "stopped", metrics: { loss: [loss] } })));
    // Returned runs are always looked at: a full listing, or a page that holds the edited run.
    edit(5, 0.5);
    expect((await listRuns(base, { sort: "uuid" }))[5]).toMatchObject({ status: "stopped", metrics: { loss: { value: 0.5 } } });
    edit(6, 0.6);
    expect((await listRuns(base, { query: `uuid:${sweepUuid(6)}` }))[0]).toMatchObject({ status: "stopped" });
    // A page it is not on yet: recheckMs 0 looks at every run now; so does any listing past recheckMs.
    edit(7, 0.0001);
    expect((await listRuns(base, { sort: "metrics.loss", limit: 1, recheckMs: 0 }))[0]!.uuid).toBe(sweepUuid(7));
    edit(8, 0.00001);
    await new Promise((r) => setTimeout(r, 30));
    expect((await listRuns(base, { sort: "metrics.loss", limit: 1, recheckMs: 20 }))[0]!.uuid).toBe(sweepUuid(8));
    await expect(listRuns(base, { recheckMs: -1 })).rejects.toThrow(/recheckMs must be a number of milliseconds ≥ 0, got -1/);
  });

  it("sees a change written through runtrail by another process without looking at every run", async () => {
    const root = tmp();
    const run = await init({ offlineRoot: root, name: "resumed", flushIntervalMs: 0, handleExit: false });
    run.logMetric("loss", 0.5, { step: 1 });
    await run.end();
    const runsRoot = join(root, "runs");
    for (let i = 0; i < 10; i++) ageTree(writeSweepRun(runsRoot, spec(i, { metrics: { loss: [0.9] } })));
    await settledIndex(root);
    expect((await listRuns(root, { sort: "metrics.loss", limit: 1 }))[0]!.metrics.loss!.value).toBe(0.5);
    const child = spawnTs("test/fixtures/resume-and-log.ts", [root, run.uuid, "0.125"]);
    expect((await waitForExit(child)).code).toBe(0);
    // Meanwhile another tool edits a finished run in place, without telling anyone: a listing that
    // trusts its index does not look at it (this is how we know it did not check every folder)…
    ageTree(writeSweepRun(runsRoot, spec(4, { metrics: { loss: [0.0625] } })));
    const [top] = await listRuns(root, { sort: "metrics.loss", limit: 1, recheckMs: 60_000 });
    expect(top).toMatchObject({ uuid: run.uuid, status: "succeeded", metrics: { loss: { step: 2, value: 0.125 } } });
    // …and one that checks every folder does.
    expect((await listRuns(root, { sort: "metrics.loss", limit: 2, recheckMs: 0 })).map((r) => r.metrics.loss!.value)).toEqual([0.0625, 0.125]);
  });

  it("rebuilds an index whose sections are damaged, and lists exactly as without it", async () => {
    const base = tmp();
    const runsRoot = join(base, "runs");
    for (let i = 0; i < 12; i++) ageTree(writeSweepRun(runsRoot, spec(i, { metrics: { loss: [1, (i * 7) % 12], acc: [i / 12] } })));
    await settledIndex(base);
    const want = (await listRuns(base, { sort: "-metrics.acc", index: false })).map(view);
    const index = join(runsRoot, ".runtrail", "index");
    const pristine = readFileSync(index);
    const header = JSON.parse(pristine.toString("utf8").split("\n")[1]!) as { sections: Record<string, [number, number]> };
    const bodyStart = pristine.indexOf(10, pristine.indexOf(10) + 1) + 1;
    for (const section of ["ids", "idOff", "fps", "recOff", "recs", "m:acc", "m:loss", "created", "complete", "recheck"]) {
      const [start, end] = header.sections[section]!;
      const damaged = Buffer.from(pristine);
      damaged.fill(0xff, bodyStart + start, bodyStart + Math.min(end, start + 24));
      writeFileSync(index, damaged);
      rmSync(join(runsRoot, ".runtrail", "index.journal"), { force: true });
      expect((await listRuns(base, { sort: "-metrics.acc" })).map(view), section).toEqual(want);
    }
    writeFileSync(index, pristine.subarray(0, pristine.length - 100)); // cut short
    expect((await listRuns(base, { sort: "-metrics.acc" })).map(view)).toEqual(want);
    expect((await listRuns(base, { sort: "-metrics.acc" })).map(view)).toEqual(want);
  });

  it("keeps a metric stream named __proto__ as a stream, through the index", async () => {
    const base = tmp();
    ageTree(writeSweepRun(join(base, "runs"), spec(1, { metrics: JSON.parse('{"__proto__": [0.5], "loss": [0.25]}') as Record<string, number[]> })));
    for (let i = 0; i < 2; i++) {
      const [r] = await listRuns(base, { sort: "metrics.__proto__", limit: 1 });
      expect(Object.keys(r!.metrics).sort()).toEqual(["__proto__", "loss"]);
      expect(Object.getPrototypeOf(r!.metrics)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(r!.metrics, "__proto__")?.value).toEqual({ step: 0, value: 0.5 });
    }
  });

  it("pages at the edges: limit 0, an offset past the end, a page that ends in ties", async () => {
    const base = tmp();
    for (let i = 0; i < 12; i++) ageTree(writeSweepRun(join(base, "runs"), spec(i, { metrics: { loss: [i % 3] } })));
    await settledIndex(base);
    expect(await listRuns(base, { sort: "metrics.loss", limit: 0 })).toEqual([]);
    expect(await listRuns(base, { sort: "metrics.loss", offset: 12, limit: 5 })).toEqual([]);
    const want = (await listRuns(base, { sort: "metrics.loss, -uuid", index: false })).map((r) => r.uuid);
    for (const [offset, limit] of [[0, 1], [0, 3], [2, 3], [3, 2], [10, 5]] as const) {
      expect((await listRuns(base, { sort: "metrics.loss, -uuid", offset, limit })).map((r) => r.uuid)).toEqual(want.slice(offset, offset + limit));
    }
  });

  it("names a missing root or a file given as root", async () => {
    const base = tmp();
    await expect(listRuns(join(base, "nope"))).rejects.toThrow(/does not exist; pass the folder that holds runs/);
    writeFileSync(join(base, "file"), "x");
    await expect(listRuns(join(base, "file"))).rejects.toThrow(/is a file, not a folder of runs/);
    await expect(getRun(base, "abc")).rejects.toThrow(/no run "abc"/);
    await expect(listRuns(base, { limit: -1 })).rejects.toThrow(/limit must be a whole number ≥ 0, got -1/);
  });

  it("keeps NaN and infinite last values through the index", async () => {
    const base = tmp();
    ageTree(writeSweepRun(join(base, "runs"), spec(1, { metrics: { loss: [Number.NaN], acc: [Number.POSITIVE_INFINITY], err: [Number.NEGATIVE_INFINITY] } })));
    for (let i = 0; i < 2; i++) {
      const [r] = await listRuns(base); // built, then read back from the index
      expect(r!.metrics).toEqual({ loss: { step: 0, value: Number.NaN }, acc: { step: 0, value: Infinity }, err: { step: 0, value: -Infinity } });
    }
    expect(await listRuns(base, { query: "metrics.loss:nil, metrics.acc:>1e308" })).toHaveLength(1);
  });

  it("shows a running run's live metric values, written through the real API", async () => {
    const root = tmp();
    const run = await init({ offlineRoot: root, name: "live", flushIntervalMs: 0, handleExit: false });
    run.logMetric("loss", 0.5, { step: 1 });
    await run.flush();
    expect((await getRun(root, run.uuid)).metrics.loss).toEqual({ step: 1, value: 0.5 });
    run.logMetric("loss", 0.25, { step: 2 });
    run.logMetric("acc", 0.75, { step: 2 });
    await run.flush();
    const live = await getRun(root, run.uuid.slice(0, 8));
    expect(live.status).toBe("running");
    expect(live.metrics).toEqual({ loss: { step: 2, value: 0.25 }, acc: { step: 2, value: 0.75 } });
    await run.end();
    expect((await getRun(root, run.uuid)).status).toBe("succeeded");
  });

  it("sees a same-size rewrite in place whose mtime was set back (inode, size and mtime unchanged)", async () => {
    const base = tmp();
    const dir = writeSweepRun(join(base, "runs"), spec(1, { status: "running" }));
    expect((await listRuns(base))[0]!.status).toBe("running");
    const file = join(dir, "run.plx.json");
    const text = readFileSync(file, "utf8");
    const { mtime } = statSync(file);
    writeFileSync(file, text.replace('"running"', '"stopped"')); // same length, same inode
    utimesSync(file, mtime, mtime);
    expect((await listRuns(base))[0]!.status).toBe("stopped");
  });

  it("lists a run whose files are FIFOs as damaged instead of hanging", async () => {
    const base = tmp();
    const runsRoot = join(base, "runs");
    writeSweepRun(runsRoot, spec(1));
    const fifoRun = join(runsRoot, sweepUuid(2));
    writeSweepRun(runsRoot, spec(2, { status: "running" }));
    rmSync(join(fifoRun, "run.plx.json"));
    execFileSync("mkfifo", [join(fifoRun, "run.plx.json")]);
    const dir3 = writeSweepRun(runsRoot, spec(3, { status: "running" }));
    execFileSync("mkfifo", [join(dir3, "events", "metric", "acc.plx")]);
    const runs = await listRuns(base, { sort: "uuid" });
    expect(runs.map((r) => r.uuid)).toEqual([sweepUuid(1), sweepUuid(2), sweepUuid(3)]);
    expect(runs[1]!.damaged).toEqual(["run.plx.json: missing, or not a regular file"]);
    expect(Object.keys(runs[2]!.metrics)).toEqual(["loss"]);
  }, 30_000);
});

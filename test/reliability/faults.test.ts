import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CheckpointHook, CheckpointSaveError } from "../../src/adapters/checkpoint.js";
import { init, loadRun, readEvents, RunWriteError } from "../../src/index.js";
import { faultScenario, type FaultResult, type Outcome } from "../fixtures/reliability-fault-scenario.js";
import { lossAt } from "../fixtures/reliability-values.js";
import { checkRun, removeBundles, selfCheckingBytes, spawnFixture, watch, writeCheckpointDir } from "../helpers/reliability.js";
import { useTmp } from "../helpers/tmp.js";

const counts = { scenarios: 0, realFaults: 0, injectedFaults: 0, failedCalls: 0, warnings: 0, runsChecked: 0 };
const mounted: string[] = [];

/** Whether this sandbox lets us mount a tmpfs (we are root, but a container may forbid it). */
function canMount(dir: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
  mounted.push(dir);
}

function unmountAll(): void {
  for (const dir of mounted.splice(0).reverse()) {
    try {
      execFileSync("umount", [dir], { stdio: "ignore" });
    } catch {
      execFileSync("umount", ["-l", dir], { stdio: "ignore" });
    }
  }
}

/** Fills a file system to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const filler = join(dir, "filler");
  const fd = openSync(filler, "w");
  for (let chunk = 1 << 16; chunk >= 1; chunk >>= 1) {
    const buf = Buffer.alloc(chunk, 1);
    try {
      for (;;) writeSync(fd, buf);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
    }
  }
  closeSync(fd);
  return filler;
}

async function runInjected(root: string, outside: string, code: string): Promise<FaultResult> {
  const child = await spawnFixture("test/fixtures/reliability-fault-child.ts", [code, root, outside], { preload: "test/fixtures/reliability-fault-preload.ts" });
  const w = watch(child);
  const m = await w.waitFor(/RESULT (.*)\n/, 120_000);
  expect((await w.exited).code).toBe(0);
  return JSON.parse(m[1]!) as FaultResult;
}

function isWriteError(o: Outcome | "ok" | undefined, causeCode?: string): void {
  expect(o).not.toBe("ok");
  const e = o as Outcome;
  expect(e, JSON.stringify(e)).toMatchObject({ name: "RunWriteError", code: "RUNTRAIL_WRITE_FAILED", runtrail: true });
  if (causeCode) expect(e.causeCode, e.message).toBe(causeCode);
}

/** What every fault must give: named errors to callers, nothing thrown into training, one warning, a consistent run, no data lost once fixed. */
async function assertFaultHandled(r: FaultResult, code: string): Promise<void> {
  expect(r.thrownWhileTraining).toEqual([]);
  expect(r.warningsBeforeReport).toBe(1);
  isWriteError(r.broken.flush, code);
  for (const k of ["logModel", "logArtifact", "saveModel", "logArtifactRef", "logInputs", "end"]) isWriteError(r.broken[k]);
  expect(r.endedWhileBroken).toBe(false);
  expect(r.problemsWhileBroken).toEqual([]);
  const { keptFailure, ...fixed } = r.fixed;
  if (keptFailure !== "ok") isWriteError(keptFailure, code);
  expect(fixed).toEqual({ flush: "ok", logModel: "ok", logInputs: "ok", end: "ok" });
  expect(r.endedAfterFix).toBe(true);

  const report = await checkRun(r.runPath);
  expect(report.problems).toEqual([]);
  const loss = await readEvents(r.runPath, "metric", "loss");
  expect(loss.map((row) => row.step)).toEqual(Array.from({ length: r.steps }, (_, i) => i));
  expect(loss.every((row) => row.value === lossAt(row.step!))).toBe(true);
  expect((await readEvents(r.runPath, "text", "notes")).length).toBe(r.steps / 10);
  const run = await loadRun(r.runPath);
  expect(run.status).toBe("succeeded");
  expect(run.meta.meta_info).toMatchObject({ has_metrics: true, has_events: true, has_model: true });
  expect(run.meta.inputs).toEqual({ lr: 0.1 });
  const exported = run.lineage.find((l) => l.name === "exported")!.summary as { latest: { step: number; hash?: string } };
  expect(exported.latest.step).toBe(r.steps);
  expect(existsSync(join(r.runPath, "assets/model/ckpt_100"))).toBe(true);
  expect(existsSync(join(r.runPath, `assets/model/ckpt_${r.steps}`))).toBe(false);
  const staging = join(r.runPath, ".runtrail/staging");
  expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
  counts.scenarios++;
  counts.runsChecked++;
  counts.warnings += r.warningsTotal;
  counts.failedCalls += Object.values(r.broken).filter((o) => o !== "ok").length;
}

describe("faults", () => {
  afterAll(removeBundles);
  const tmp = useTmp();
  // RUNTRAIL_RELIABILITY_NO_MOUNT=1 exercises the injected fallback of sandboxes that forbid mount.
  const mountable = !process.env.RUNTRAIL_RELIABILITY_NO_MOUNT && canMount(mkdirSync(join(tmp(), "probe"), { recursive: true }) ?? "/nonexistent");
  afterEach(unmountAll);
  afterAll(() => {
    console.log(
      `[reliability] faults: ${counts.scenarios} fault scenarios (${counts.realFaults} on a real tmpfs, ${counts.injectedFaults} injected at the fs layer, 1 of throwing checkpoint writers${mountable ? "" : "; mount is not permitted here, so the tmpfs cases were injected"}), ` +
        `${counts.failedCalls} calls failed with named errors, ${counts.warnings} process warnings, ${counts.runsChecked} runs checked, 0 corrupt runs`,
    );
  });

  it(`a full disk (${mountable ? "2 MB tmpfs" : "injected ENOSPC"}): named errors, training goes on, one warning, nothing lost once space is freed`, async () => {
    const dir = tmp();
    const outside = join(dir, "outside");
    mkdirSync(outside);
    let r: FaultResult;
    if (mountable) {
      const mnt = join(dir, "mnt");
      mountTmpfs(mnt, "2m");
      let filler = "";
      r = await faultScenario(mnt, outside, () => void (filler = fill(mnt)), () => rmSync(filler));
      counts.realFaults++;
    } else {
      r = await runInjected(join(dir, "root"), outside, "ENOSPC");
      counts.injectedFaults++;
    }
    await assertFaultHandled(r, "ENOSPC");
  });

  it("a full disk that takes half of a chunk (injected short write + ENOSPC) leaves no half row behind", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "outside"));
    const r = await runInjected(join(dir, "root"), join(dir, "outside"), "ENOSPC");
    counts.injectedFaults++;
    await assertFaultHandled(r, "ENOSPC");
  });

  it("a run folder that turns read-only mid-run (injected EROFS)", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "outside"));
    const r = await runInjected(join(dir, "root"), join(dir, "outside"), "EROFS");
    counts.injectedFaults++;
    await assertFaultHandled(r, "EROFS");
  });

  it("an I/O error (injected EIO)", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "outside"));
    const r = await runInjected(join(dir, "root"), join(dir, "outside"), "EIO");
    counts.injectedFaults++;
    await assertFaultHandled(r, "EIO");
  });

  it(`resuming a run on a read-only file system (${mountable ? "tmpfs remounted ro" : "injected EROFS"}) is a RunWriteError and changes nothing`, async () => {
    const mnt = join(tmp(), "mnt");
    if (mountable) mountTmpfs(mnt, "4m");
    const first = await init({ offlineRoot: mnt, flushIntervalMs: 0, handleExit: false });
    for (let s = 0; s < 50; s++) first.logMetric("loss", lossAt(s), { step: s });
    await first.saveModel({ name: "ckpt", step: 49, framework: "custom", write: (d) => writeCheckpointDir(d, 49) });
    await first.end();
    const before = await checkRun(first.artifactsPath);
    if (mountable) {
      execFileSync("mount", ["-o", "remount,ro", mnt]);
      const err = await init({ offlineRoot: mnt, runUuid: first.uuid, handleExit: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunWriteError);
      expect((err as RunWriteError).cause).toMatchObject({ code: "EROFS" });
    } else {
      const child = await spawnFixture("test/fixtures/reliability-fault-child.ts", ["resume:EROFS", mnt, first.uuid], { preload: "test/fixtures/reliability-fault-preload.ts" });
      const w = watch(child);
      const r = JSON.parse((await w.waitFor(/RESULT (.*)\n/))[1]!) as Outcome;
      expect(r).toMatchObject({ name: "RunWriteError", causeCode: "EROFS", runtrail: true });
    }
    expect(await checkRun(first.artifactsPath)).toEqual(before);
    expect(before.problems).toEqual([]);
    if (mountable) execFileSync("mount", ["-o", "remount,rw", mnt]);
    const resumed = await init({ offlineRoot: mnt, runUuid: first.uuid, handleExit: false });
    resumed.logMetric("loss", lossAt(50), { step: 50 });
    await resumed.end();
    expect((await checkRun(first.artifactsPath)).problems).toEqual([]);
    expect((await readEvents(first.artifactsPath, "metric", "loss")).length).toBe(51);
    if (mountable) counts.realFaults++;
    else counts.injectedFaults++;
    counts.scenarios++;
    counts.runsChecked++;
    counts.failedCalls++;
  });

  it("checkpoint writers that throw (hook in the foreground and in the background, saveModel) leave a consistent run", async () => {
    const run = await init({ offlineRoot: tmp(), flushIntervalMs: 5, handleExit: false });
    const boom = (step: number) => new Error(`writer failed at ${step}`);
    const failAt = new Set([3, 7, 8, 15]);
    const save = async (dir: string, step: number) => {
      await writeFile(join(dir, "weights.bin"), selfCheckingBytes(step, 4096));
      if (failAt.has(step)) throw boom(step); // after a first file: the half-written folder must vanish
      await writeCheckpointDir(dir, step);
    };
    const opts = { run, framework: "custom", every: { steps: 1 }, monitor: "val_loss", keepBest: 2, keepLast: 2, save } as const;
    let failures = 0;
    const byMode: Record<string, number> = {};
    for (const [name, background] of [["fg", false], ["bg", true]] as const) {
      const before = failures;
      const hook = new CheckpointHook({ ...opts, name, background, ...(background && { snapshot: (s: number) => s }) });
      for (let step = 1; step <= 20; step++) {
        const err = await hook.step(step, { val_loss: ((step * 37) % 11) / 10 }).catch((e: unknown) => e);
        if (err !== undefined) {
          expect(err).toBeInstanceOf(CheckpointSaveError);
          const cause = (err as CheckpointSaveError).cause as Error;
          const causes = cause instanceof AggregateError ? cause.errors : [cause]; // several background failures at once
          for (const c of causes) expect((c as Error).message).toMatch(/^writer failed at \d+$/);
          failures++;
        }
        if (background) await new Promise((r) => setTimeout(r, 5)); // the loop's own work; the save runs meanwhile
      }
      await hook.close().catch((e: unknown) => {
        expect(e).toBeInstanceOf(CheckpointSaveError);
        failures++;
      });
      for (const step of failAt) expect(existsSync(join(run.artifactsPath, `assets/model/${name}_${step}`))).toBe(false);
      byMode[name] = failures - before;
    }
    expect(byMode.fg).toBe(failAt.size);
    expect(byMode.bg).toBeGreaterThanOrEqual(1); // a queued save replaced by a newer one never runs
    const userErr = await run.saveModel({ name: "direct", step: 1, framework: "custom", write: async () => Promise.reject(boom(1)) }).catch((e: unknown) => e);
    expect((userErr as Error).message).toBe("writer failed at 1"); // the writer's own error, unchanged
    await run.end();
    const report = await checkRun(run.artifactsPath);
    expect(report.problems).toEqual([]);
    expect(readdirSync(join(run.artifactsPath, ".runtrail/staging"))).toEqual([]);
    counts.scenarios++;
    counts.runsChecked++;
    counts.failedCalls += failures + 1;
  });
});

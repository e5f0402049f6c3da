import { randomUUID } from "node:crypto";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { init, loadRun, readEvents, type Run } from "../../src/index.js";
import { checkRun, removeBundles, spawnFixture, watch } from "../helpers/reliability.js";
import { useTmp } from "../helpers/tmp.js";
import { whoValue } from "../fixtures/reliability-values.js";

const FIXTURE = "test/fixtures/reliability-concurrent-child.ts";
const STEPS = 400;
const newUuid = () => randomUUID().replace(/-/g, "");

const ROW = {
  csv: /^(\d*)\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00\|[^|\n]+$/,
  jsonl: /^\{"timestamp": "[^"]+", "step": (\d+|null), "\w+": .*\}$/,
};

/** Every line of every event file is one whole row (or the header): nothing interleaved or cut. */
function assertWholeLines(runPath: string): number {
  let lines = 0;
  for (const kind of readdirSync(join(runPath, "events"))) {
    for (const f of readdirSync(join(runPath, "events", kind))) {
      const text = readFileSync(join(runPath, "events", kind, f), "utf8");
      const jsonl = ["text", "html", "chart", "span"].includes(kind);
      text.split("\n").forEach((line, i) => {
        if (i === 0) {
          expect(line, `${kind}/${f} header`).toBe(jsonl ? "" : `step|timestamp|${kind}`);
          return;
        }
        expect(line, `${kind}/${f} line ${i + 1}`).toMatch(jsonl ? ROW.jsonl : ROW.csv);
        lines++;
      });
    }
  }
  return lines;
}

/** Starts one child per `who`, lets them all go at once, waits for them to end the run. */
async function runWorkers(root: string, jobs: Array<{ uuid: string; who: string }>, shared = false): Promise<void> {
  const go = join(root, `go-${newUuid()}`);
  const children = await Promise.all(
    jobs.map(async (j) => {
      const child = await spawnFixture(FIXTURE, [root, j.uuid, j.who, String(STEPS), go, ...(shared ? ["shared"] : [])]);
      const w = watch(child);
      await w.waitFor(/ready/);
      return w;
    }),
  );
  writeFileSync(go, "");
  for (const w of children) {
    await w.waitFor(/done/);
    expect((await w.exited).code).toBe(0);
    expect(w.stderr()).not.toMatch(/Error/);
  }
}

/** The streams, lineage and metadata a worker `who` must have left in the run. */
async function assertWorker(runPath: string, who: string): Promise<{ rows: number; records: number }> {
  const loss = await readEvents(runPath, "metric", `${who}_loss`);
  expect(loss.map((r) => r.value)).toEqual(Array.from({ length: STEPS }, (_, s) => whoValue(who, s)));
  const notes = await readEvents(runPath, "text", `${who}_notes`);
  expect(notes.length).toBe(STEPS);
  const run = await loadRun(runPath);
  const rec = (kind: string, name: string) => run.lineage.find((r) => r.kind === kind && r.name === name);
  const mine = [rec("metric", `${who}_loss`), rec("text", `${who}_notes`), rec("curve", `${who}_curve`), rec("model", `${who}_model`), rec("data", `${who}_data`)];
  expect(mine.map((r) => (r ? `${r.kind}/${r.name}` : undefined)), `lineage of ${who}`).toEqual([
    `metric/${who}_loss`,
    `text/${who}_notes`,
    `curve/${who}_curve`,
    `model/${who}_model`,
    `data/${who}_data`,
  ]);
  const latest = (mine[3]!.summary as { latest: { step: number } }).latest;
  expect(latest.step).toBe(Math.floor((STEPS - 1) / 25) * 25);
  expect(run.meta.inputs[`${who}_lr`]).toBe(0.1);
  expect(run.meta.outputs[`${who}_final`]).toBe(whoValue(who, STEPS - 1));
  expect(run.meta.outputs[`${who}_loss`]).toBe(whoValue(who, STEPS - 1));
  return { rows: loss.length + notes.length, records: mine.length };
}

describe("concurrency", () => {
  afterAll(removeBundles);
  const tmp = useTmp();

  it("several processes log to distinct runs under one root", async () => {
    const root = tmp();
    const jobs = ["w1", "w2", "w3", "w4"].map((who) => ({ uuid: newUuid(), who }));
    await runWorkers(root, jobs);
    expect(readdirSync(join(root, "runs")).sort()).toEqual(jobs.map((j) => j.uuid).sort());
    let rows = 0;
    for (const j of jobs) {
      const runPath = join(root, "runs", j.uuid);
      expect((await checkRun(runPath)).problems).toEqual([]);
      rows += (await assertWorker(runPath, j.who)).rows;
      rows += assertWholeLines(runPath);
      expect((await loadRun(runPath)).status).toBe("succeeded");
    }
    console.log(`[reliability] concurrency: ${jobs.length} processes on ${jobs.length} runs under one root, ${rows} rows checked, 0 corrupt runs`);
  });

  it("several Run objects in one process keep their rows apart", async () => {
    const root = tmp();
    const runs: Run[] = [];
    for (let i = 0; i < 6; i++) runs.push(await init({ offlineRoot: root, flushIntervalMs: 1 + (i % 3), handleExit: false }));
    for (let step = 0; step < STEPS; step++) {
      for (const [i, run] of runs.entries()) {
        run.logMetric("loss", whoValue(`r${i}`, step), { step });
        run.logText("notes", `run ${i} step ${step}`, { step });
        if (step % 50 === 0) {
          await run.saveModel({ name: "m", step, framework: "custom", write: async (d) => writeFileSync(join(d, "w.txt"), `${i}:${step}`) });
        }
      }
      if (step % 37 === 0) await Promise.all(runs.map((r) => r.flush()));
      if (step % 11 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(runs.map((r) => r.end()));
    let rows = 0;
    for (const [i, run] of runs.entries()) {
      expect((await checkRun(run.artifactsPath)).problems).toEqual([]);
      const loss = await readEvents(run.artifactsPath, "metric", "loss");
      expect(loss.map((r) => r.value)).toEqual(Array.from({ length: STEPS }, (_, s) => whoValue(`r${i}`, s)));
      const notes = await readEvents(run.artifactsPath, "text", "notes");
      expect(notes.every((r) => r.value === `run ${i} step ${r.step}`)).toBe(true);
      expect(readFileSync(join(run.artifactsPath, "assets/model/m_350/w.txt"), "utf8")).toBe(`${i}:350`);
      rows += loss.length + notes.length + assertWholeLines(run.artifactsPath);
    }
    console.log(`[reliability] concurrency: ${runs.length} Run objects in one process, ${rows} rows checked, 0 corrupt runs`);
  });

  it("several processes log to different streams of the same run: every line whole, no lineage or metadata lost", async () => {
    const root = tmp();
    const uuid = newUuid();
    const who = ["w1", "w2", "w3"];
    await runWorkers(root, who.map((w) => ({ uuid, who: w })));
    const runPath = join(root, "runs", uuid);
    expect((await checkRun(runPath)).problems).toEqual([]);
    let rows = assertWholeLines(runPath);
    let records = 0;
    for (const w of who) {
      const r = await assertWorker(runPath, w);
      rows += r.rows;
      records += r.records;
    }
    const run = await loadRun(runPath);
    expect(run.status).toBe("succeeded");
    expect(run.meta.meta_info).toMatchObject({ has_metrics: true, has_events: true, has_model: true });
    console.log(`[reliability] concurrency: ${who.length} processes on one run's separate streams, ${rows} rows and ${records} lineage records checked, 0 corrupt runs`);
  });

  it("a run lock left by a killed process is broken at once; a live holder is waited for", async () => {
    const root = tmp();
    const first = await init({ offlineRoot: root, handleExit: false });
    first.logMetric("loss", 1, { step: 0 });
    await first.end();
    const lock = join(first.artifactsPath, ".runtrail", "lock");
    const dead = spawn(process.execPath, ["-e", "0"]);
    await new Promise((r) => dead.on("exit", r));
    writeFileSync(lock, `${dead.pid}\n${hostname()}\n${Date.now()}\n`);
    const resumed = await init({ offlineRoot: root, runUuid: first.uuid, handleExit: false });
    expect(existsSync(lock)).toBe(false);
    await resumed.end();

    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"]);
    writeFileSync(lock, `${holder.pid}\n${hostname()}\n${Date.now()}\n`);
    const go = join(root, "go");
    writeFileSync(go, "");
    const child = await spawnFixture(FIXTURE, [root, first.uuid, "w9", "30", go]);
    const w = watch(child);
    await new Promise((r) => setTimeout(r, 500));
    expect(w.stdout(), "the worker waits while the lock is held").not.toContain("ready");
    rmSync(lock); // the holder releases it
    await w.waitFor(/done/);
    holder.kill("SIGKILL");
    expect((await checkRun(first.artifactsPath)).problems).toEqual([]);
    expect((await readEvents(first.artifactsPath, "metric", "w9_loss")).length).toBe(30);
  });

  it("several processes appending to the same stream of a run interleave whole rows only", async () => {
    const root = tmp();
    const uuid = newUuid();
    const who = ["w1", "w2", "w3"];
    await runWorkers(root, who.map((w) => ({ uuid, who: w })), true);
    const runPath = join(root, "runs", uuid);
    expect((await checkRun(runPath)).problems).toEqual([]);
    const rows = assertWholeLines(runPath);
    const shared = await readEvents(runPath, "metric", "shared_loss");
    expect(shared.length).toBe(STEPS * who.length);
    for (const w of who) {
      expect(shared.filter((r) => r.value === whoValue(w, r.step!)).map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, s) => s));
    }
    console.log(`[reliability] concurrency: ${who.length} processes appending to one stream, ${rows} rows checked, 0 corrupt runs`);
  });
});

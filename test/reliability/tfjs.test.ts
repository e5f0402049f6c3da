import { randomUUID } from "node:crypto";
import fs, { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { findCheckpoint, TrackingCallback } from "../../src/adapters/tfjs.js";
import { init, readEvents, RunWriteError } from "../../src/index.js";
import { checkRun, removeBundles, spawnFixture, watch } from "../helpers/reliability.js";
import { seededRandom } from "../helpers/random.js";
import { useTmp } from "../helpers/tmp.js";
import type { ChildProcess } from "node:child_process";

const KILLS = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const live = new Set<ChildProcess>();
/** Kill moments: seeded, the seed printed (replay with RUNTRAIL_SEED). */
const { random } = seededRandom("reliability/tfjs kill timings");

/** Steps 0…max each present: a resumed fit repeats the epochs after its checkpoint, but never skips one. */
async function assertNoGaps(runPath: string, name: string): Promise<number> {
  if (!existsSync(join(runPath, "events/metric", `${name}.plx`))) return -1;
  const steps = new Set((await readEvents(runPath, "metric", name)).map((r) => r.step!));
  const max = Math.max(-1, ...steps);
  for (let s = 0; s <= max; s++) expect(steps.has(s), `${name} step ${s}`).toBe(true);
  return max;
}

describe("tfjs: TrackingCallback under faults (cpu backend)", () => {
  afterAll(removeBundles);
  const tmp = useTmp();
  beforeAll(async () => {
    await tf.setBackend("cpu");
    await tf.ready();
  });
  afterEach(() => {
    for (const c of live) c.kill("SIGKILL");
    live.clear();
  });

  it(`${KILLS} SIGKILLs during model.fit with per-epoch checkpoints: consistent, resumable from the latest checkpoint`, async () => {
    const root = tmp();
    const uuid = randomUUID().replace(/-/g, "");
    const runPath = join(root, "runs", uuid);
    let rows = 0;
    let versions = 0;
    let lastEpoch = -1;
    let resumeAt = 0;
    for (let k = 0; k < KILLS; k++) {
      const child = await spawnFixture("test/fixtures/reliability-tfjs-child.ts", [root, uuid]);
      live.add(child);
      const w = watch(child);
      const m = await w.waitFor(/ready (\d+)/, 120_000);
      expect(Number(m[1]), "resumes right after the latest checkpoint on disk").toBe(resumeAt);
      await sleep(150 + random() * 1200);
      child.kill("SIGKILL");
      const exit = await w.exited;
      live.delete(child);
      if (exit.signal !== "SIGKILL") throw new Error(`child ended by itself (${exit.code}): ${w.stderr()}`);
      const report = await checkRun(runPath);
      expect(report.problems, `after kill ${k + 1}`).toEqual([]);
      rows += report.rows;
      versions += report.versionsChecked;
      lastEpoch = await assertNoGaps(runPath, "loss");
      const latest = await findCheckpoint(runPath, { step: "latest" }).catch(() => undefined);
      resumeAt = latest ? latest.epoch! + 1 : 0;
    }
    expect(lastEpoch).toBeGreaterThan(0);
    console.log(
      `[reliability] tfjs: ${KILLS} SIGKILLs during model.fit (reached epoch ${lastEpoch}), ${rows} event rows parsed, ${versions} tfjs checkpoints hash-checked, 0 corrupt runs`,
    );
  }, 300_000);

  it("a checkpoint writer that throws: fit goes on, the failure is reported, nothing half-written stays", async () => {
    const run = await init({ offlineRoot: tmp(), flushIntervalMs: 20, handleExit: false });
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], activation: "sigmoid" })] });
    model.compile({ loss: "binaryCrossentropy", optimizer: tf.train.adam(0.05) });
    const failing = new Set([1, 2, 4]);
    // weights.bin is written with one fs.writev per checkpoint (src/adapters/tfjs/file-io.ts), one
    // checkpoint after the other: the bytes of the checkpoints of epochs 1, 2, 4 are written, then the writer fails.
    const writev = fs.writev;
    let writes = 0;
    fs.writev = ((fd: number, buffers: NodeJS.ArrayBufferView[], cb: (err: Error | null, written: number) => void) => {
      const epoch = writes++;
      writev(fd, buffers, (err, written) => cb(err ?? (failing.has(epoch) ? new Error(`writer failed at epoch ${epoch}`) : null), written));
    }) as typeof writev;
    const cb = new TrackingCallback({ tf, model: model as never, checkpoint: { keepLast: 10 } });
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      await model.fit(tf.tensor2d([[0, 0], [1, 1], [0, 1], [1, 0]]), tf.tensor2d([[0], [0], [1], [1]]), { epochs: 6, verbose: 0, callbacks: [cb] });
    } finally {
      process.off("warning", onWarning);
      fs.writev = writev;
    }
    await run.end();
    expect(cb.errors.map((e) => e instanceof RunWriteError)).toEqual([true, true, true]);
    expect(warnings.filter((m) => m.includes("writer failed")).length).toBe(3);
    expect((await readEvents(run.artifactsPath, "metric", "loss")).map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(readdirSync(join(run.artifactsPath, "assets/model")).sort()).toEqual(["model_0", "model_3", "model_5"]);
    expect((await checkRun(run.artifactsPath)).problems).toEqual([]);
    expect(readdirSync(join(run.artifactsPath, ".runtrail/staging"))).toEqual([]);
    console.log(`[reliability] tfjs: a throwing checkpoint writer failed 3 of 6 epochs; fit finished, 3 RunWriteErrors reported, 0 corrupt runs`);
  });
});

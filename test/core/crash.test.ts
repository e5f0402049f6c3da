import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init, loadRun, readEvents } from "../../src/index.js";
import { spawnTs, waitForExit, waitForOutput } from "../helpers/child.js";
import { seededRandom } from "../helpers/random.js";
import { useTmp } from "../helpers/tmp.js";

function dirHash(dir: string): string {
  const h = createHash("md5");
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex").slice(0, 12);
}

/** Every event file parses and every lineage entry points at a complete file whose hash matches. */
async function assertConsistent(runPath: string): Promise<{ metricRows: number; lastStep: number }> {
  const run = await loadRun(runPath);
  for (const s of run.streams) await readEvents(runPath, s.kind, s.name);
  for (const rec of run.lineage) {
    const latest = (rec.summary as { latest?: { path: string; hash?: string } } | undefined)?.latest;
    if (latest) {
      expect(existsSync(join(runPath, latest.path)), latest.path).toBe(true);
      if (latest.hash) expect(dirHash(join(runPath, latest.path))).toBe(latest.hash);
    }
  }
  const ckptRows = existsSync(join(runPath, "events/model/ckpt.plx")) ? await readEvents(runPath, "model", "ckpt") : [];
  for (const row of ckptRows) {
    const dir = join(runPath, row.value.path);
    expect(existsSync(join(dir, "weights.bin")) && existsSync(join(dir, "meta.json")), dir).toBe(true);
    expect(statSync(join(dir, "weights.bin")).size).toBe(256 * 1024);
  }
  const loss = existsSync(join(runPath, "events/metric/loss.plx")) ? await readEvents(runPath, "metric", "loss") : [];
  return { metricRows: loss.length, lastStep: loss.at(-1)?.step ?? -1 };
}

/** Kill moments: seeded, the seed printed (replay with RUNTRAIL_SEED). */
const { random } = seededRandom("core/crash kill timings");

describe("a run killed with SIGKILL mid-logging stays consistent", () => {
  const tmp = useTmp();

  it("survives repeated kills and resumes cleanly each time", async () => {
    const root = tmp();
    const uuid = randomUUID().replace(/-/g, "");
    const runPath = join(root, "runs", uuid);
    let next = 0;
    for (let round = 0; round < 4; round++) {
      const child = spawnTs("test/fixtures/log-forever.ts", [root, uuid, String(next)]);
      await waitForOutput(child, "ready");
      await new Promise((r) => setTimeout(r, 150 + random() * 350));
      child.kill("SIGKILL");
      const exit = await waitForExit(child);
      expect(exit.signal).toBe("SIGKILL");
      const { lastStep } = await assertConsistent(runPath);
      next = lastStep + 1;
    }
    expect(next).toBeGreaterThan(0);
    const run = await init({ offlineRoot: root, runUuid: uuid, handleExit: false });
    run.logMetric("loss", 0.001, { step: next });
    await run.end();
    const { lastStep } = await assertConsistent(runPath);
    expect(lastStep).toBe(next);
    const staging = join(runPath, ".runtrail", "staging");
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
  });
});

describe("process exit finishes the run", () => {
  const tmp = useTmp();

  async function runMode(mode: string, signal?: NodeJS.Signals) {
    const child = spawnTs("test/fixtures/exit-modes.ts", [tmp(), mode]);
    const out = await waitForOutput(child, signal ? "waiting" : "\n");
    const runPath = out.split("\n")[0]!;
    if (signal) child.kill(signal);
    const exit = await waitForExit(child);
    return { runPath, exit, run: await loadRun(runPath) };
  }

  it("a normal exit without end() flushes and marks succeeded", async () => {
    const { run, runPath } = await runMode("normal");
    expect(run.status).toBe("succeeded");
    expect((await readEvents(runPath, "metric", "loss")).length).toBe(10);
    expect(run.lineage.find((r) => r.name === "loss")).toBeDefined();
  });

  it("an uncaught exception marks failed and still flushes", async () => {
    const { run, runPath, exit } = await runMode("throw");
    expect(exit.code).not.toBe(0);
    expect(exit.stderr).toContain("training blew up");
    expect(run.status).toBe("failed");
    expect((await readEvents(runPath, "metric", "loss")).length).toBe(10);
  });

  it("SIGTERM with no handler of the program's own: flushed, stopped, and the process still dies by the signal", async () => {
    const { run, runPath, exit } = await runMode("sigterm", "SIGTERM");
    expect(exit.signal).toBe("SIGTERM");
    expect(run.status).toBe("stopped");
    expect((await readEvents(runPath, "metric", "loss")).length).toBe(10);
  });

  it("SIGTERM when the program handles it: runtrail only flushes and the program decides", async () => {
    const { run, runPath, exit } = await runMode("sigterm-own-handler", "SIGTERM");
    expect(exit.code).toBe(0);
    expect(run.status).toBe("stopped");
    expect((await readEvents(runPath, "metric", "loss")).length).toBe(11);
  });
});

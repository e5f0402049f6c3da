import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { init, loadRun, readEvents } from "../../src/index.js";
import { CheckpointHook } from "../../src/adapters/checkpoint.js";
import { CRASH_POLICY, CRASH_SEED, crashLr } from "../fixtures/checkpoint-crash.js";
import { loadWeights, saveWeights, trainer, referenceRun } from "../fixtures/checkpoint-trainer.js";
import { loadVersions, modelAssets, modelRecord, removeTemp, stagingEntries, tempRoot, versionsOnDisk } from "../fixtures/checkpoint-run.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const fixture = join(repo, "test/fixtures/checkpoint-crash.ts");
const roots: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  roots.splice(0).forEach(removeTemp);
});

const reference = (steps: number) => referenceRun(steps, CRASH_SEED, crashLr);

/** Starts the fixture and resolves with its `RUN` and `MID` lines once the slow save is halfway. */
function startChild(root: string, mode: "fg" | "bg") {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, root, mode], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const lines: string[] = [];
  let stderr = "";
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on("exit", (_code, signal) => res(signal)));
  const mid = new Promise<{ uuid: string; step: number; dir: string; committed: number[]; lines: string[] }>((res, rej) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        const m = /^MID (\d+) (\S+) ([\d,]*)$/.exec(lines[lines.length - 1]!);
        if (m) {
          const uuid = lines.find((l) => l.startsWith("RUN "))!.slice(4);
          res({ uuid, step: Number(m[1]), dir: m[2]!, committed: m[3] ? m[3].split(",").map(Number) : [], lines });
        }
      }
    });
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => rej(new Error(`the fixture exited (${code}) before the slow save:\n${stderr}`)));
  });
  return { child, mid, exited };
}

const saveSteps = (rows: Array<{ step: number | null }>) => rows.map((r) => r.step!);

describe("CheckpointHook crash safety", () => {
  it.each(["fg", "bg"] as const)(
    "SIGKILL in the middle of a %s save leaves only complete versions, the previous ones intact, and the run resumes",
    async (mode) => {
      const root = tempRoot();
      roots.push(root);
      const ref = reference(16);
      const { child, mid, exited } = startChild(root, mode);
      const { uuid, step: killedStep, dir, committed, lines } = await mid;
      const runPath = join(root, "runs", uuid);

      // Mid-write: the partial checkpoint is in the run's staging area, not in assets/.
      expect(dir.startsWith(join(runPath, ".runtrail", "staging"))).toBe(true);
      expect(statSync(join(dir, "optimizer.bin")).size).toBeGreaterThanOrEqual(4 << 20);
      expect(versionsOnDisk(runPath, "clf")).toEqual(committed);
      if (mode === "bg") expect(lines).toContain("CLOSING"); // the loop finished while the save ran
      if (mode === "fg") expect(committed).toEqual([4, 6]); // saves at 2, 4, 6; keepLast 2 ∪ keepBest 1

      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");

      // After the kill: exactly the committed versions, each complete and holding its own step's weights.
      expect(modelAssets(runPath)).toEqual(committed.map((s) => `clf_${s}`).sort());
      expect(committed).not.toContain(killedStep);
      const versions = await loadVersions(runPath, "clf");
      for (const s of committed) {
        expect(versions.get(s)).toEqual(ref.params[s]);
        expect(readdirSync(join(runPath, "assets", "model", `clf_${s}`)).sort()).toEqual(["weights.bin", "weights.json"]);
      }
      const rec = await modelRecord(runPath, "clf");
      expect(rec?.framework).toBe("custom");
      expect(rec?.versions).toEqual(committed);
      for (const s of rec?.versions ?? []) expect(existsSync(join(runPath, "assets", "model", `clf_${s}`, "weights.bin"))).toBe(true);
      expect(rec?.latest?.path).toMatch(/^assets\/model\/clf_\d+$/);
      expect(stagingEntries(runPath).length).toBeGreaterThan(0); // the half-written save, to be cleaned
      expect((await loadRun(runPath)).status).toBe("running");

      // Resume: a new hook on the same run sees the versions and the best value so far.
      const run = await init({ offlineRoot: root, runUuid: uuid, handleExit: false, flushIntervalMs: 0 });
      expect(run.resumed).toBe(true);
      expect(stagingEntries(runPath)).toEqual([]);
      const t = trainer(CRASH_SEED, crashLr); // a fresh model: its weights come from the checkpoint
      const hook = new CheckpointHook({ run, ...CRASH_POLICY, save: (d, s) => saveWeights(d, t.model.params, s) });
      const latest = Math.max(...committed);
      const savedBefore = saveSteps(await readEvents(runPath, "model", "clf"));
      const bestBefore = Math.min(...savedBefore.map((s) => ref.metrics[s]!.val_loss!));
      expect(hook.latest()?.step).toBe(latest);
      expect(hook.bestValue).toBe(bestBefore);
      expect(hook.best()?.metrics.val_loss).toBe(Math.min(...committed.map((s) => ref.metrics[s]!.val_loss!)));
      await expect(hook.step(1, {})).rejects.toThrow(/lower than the previous step/);

      const info = await hook.restore(async (path) => t.model.params.set((await loadWeights(path)).params));
      expect(info?.step).toBe(latest);
      expect(t.model.params).toEqual(ref.params[latest]);
      for (let s = latest + 1; s <= 16; s++) {
        const m = t.step(s);
        expect(m).toEqual(ref.metrics[s]); // the resumed training is the uninterrupted one
        await hook.step(s, m);
      }
      await hook.close();
      await run.end();

      const saved = saveSteps(await readEvents(runPath, "model", "clf"));
      expect(saved.slice(savedBefore.length)).toEqual([2, 4, 6, 8, 10, 12, 14, 16].filter((s) => s > latest));
      const bestStep = saved.reduce((b, s) => (ref.metrics[s]!.val_loss! < ref.metrics[b]!.val_loss! ? s : b));
      const expected = [...new Set([bestStep, ...saved.slice(-2)])].sort((a, b) => a - b);
      expect(versionsOnDisk(runPath, "clf")).toEqual(expected);
      expect((await modelRecord(runPath, "clf"))?.versions).toEqual(expected);
      for (const [s, params] of await loadVersions(runPath, "clf")) expect(params).toEqual(ref.params[s]);
      expect(stagingEntries(runPath)).toEqual([]);
      // Metrics continue at the steps after the checkpoint.
      const loss = saveSteps(await readEvents(runPath, "metric", "loss"));
      expect(loss.slice(-(16 - latest))).toEqual(Array.from({ length: 16 - latest }, (_, i) => latest + 1 + i));
    },
    60_000,
  );
});

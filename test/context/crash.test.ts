import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRun, parseEvents, parseLogs, readLogs } from "../../src/index.js";
import { spawnContextChild } from "./helpers.js";
import { waitForExit, waitForOutput } from "../helpers/child.js";
import { useTmp } from "../helpers/tmp.js";

const tmp = useTmp();
const UUID = "c0ffee00c0ffee00c0ffee00c0ffee00";

function everyFileParses(run: string): { logLines: number; cut: number } {
  let cut = 0;
  const logs = parseLogs(readFileSync(join(run, "plxlogs/logs.jsonl"), "utf8"));
  if (logs.cutTail) cut++;
  for (const f of readdirSync(join(run, "resources/metric"))) {
    const parsed = parseEvents<number>("metric", readFileSync(join(run, "resources/metric", f), "utf8"));
    if (parsed.cutTail) cut++;
    expect(parsed.rows.every((r) => r.step === null)).toBe(true);
  }
  return { logLines: logs.lines.length, cut };
}

describe("SIGKILL during heavy printing and sampling", () => {
  it("every file still parses after each kill, and the run resumes and ends cleanly", async () => {
    const root = tmp();
    const run = join(root, "runs", UUID);
    let lastLines = 0;
    for (let round = 0; round < 3; round++) {
      const child = spawnContextChild("heavy", { offlineRoot: root, runUuid: UUID, flushIntervalMs: 20, resourcesIntervalMs: 100, collectLogs: true, trackCode: false });
      const exited = waitForExit(child);
      await waitForOutput(child, "ready");
      await new Promise((r) => setTimeout(r, 400 + round * 250));
      child.kill("SIGKILL");
      expect((await exited).signal).toBe("SIGKILL");
      const { logLines } = everyFileParses(run);
      // Lines keep accumulating across kills: each round's flushed lines are on disk.
      expect(logLines).toBeGreaterThan(lastLines);
      lastLines = logLines;
    }
    // The last round resumes and ends normally: no cut record is left anywhere.
    const child = spawnContextChild("print", { offlineRoot: root, runUuid: UUID, collectLogs: true, trackCode: false, resourcesIntervalMs: 100, waitMs: 300 });
    const exited = waitForExit(child);
    await waitForOutput(child, "done");
    expect((await exited).code).toBe(0);
    expect(everyFileParses(run).cut).toBe(0);
    const lines = await readLogs(run);
    expect(lines.at(-1)!.value).toBe("last line");
    expect(lines.filter((l) => /^line \d+ /.test(l.value)).length).toBeGreaterThan(0);
    const loaded = await loadRun(run);
    expect(loaded.status).toBe("succeeded");
    expect(loaded.resources).toContain("cpu");
    expect(loaded.logFiles).toEqual(["plxlogs/logs.jsonl"]);
  });
});

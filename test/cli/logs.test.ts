import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLogs } from "../../src/cli/logs.js";
import { runShow } from "../../src/cli/show.js";
import { donePath, runToEnd, spawnContextChild } from "../context/helpers.js";
import { waitForExit } from "../helpers/child.js";
import { useTmp } from "../helpers/tmp.js";

const tmp = useTmp();
const UUID = "0123456789abcdef0123456789abcdef";

async function capture(argv: string[], pollMs?: number): Promise<string[]> {
  const lines: string[] = [];
  await runLogs(argv, (s) => lines.push(s), pollMs);
  return lines;
}

describe("runtrail logs", () => {
  it("prints captured lines, filters with --grep, keeps the last N with --tail", async () => {
    const root = tmp();
    const res = await runToEnd(spawnContextChild("print", { offlineRoot: root, trackCode: false, resourcesIntervalMs: 100, waitMs: 300 }));
    const run = donePath(res.stdout);
    const all = await capture([run]);
    expect(all[0]).toBe("first line");
    expect(all.at(-1)).toBe("last line");
    expect(await capture([run, "--grep", "line"])).toEqual(["first line", "a partial line joined", "last line"]);
    expect(await capture([run, "--tail", "2"])).toEqual([all.at(-2), "last line"]);
    expect(await capture([UUID.slice(0, 4), "--root", root]).catch((e: Error) => e.message)).toMatch(/no run/);
    const stamped = await capture([run, "--timestamps", "--tail", "1"]);
    expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}last line$/);
    await expect(capture([run, "--tail", "-1"])).rejects.toThrow(/--tail/);

    // show summarises resources, code and environment.
    const shown: string[] = [];
    await runShow([run], (s) => shown.push(s));
    expect(shown.join("\n")).toMatch(/RESOURCES\nNAME +MEAN +PEAK +POINTS/);
    expect(shown.join("\n")).toMatch(/ENVIRONMENT\nnode +\d+\.\d+/);
  });

  it("--follow prints lines of a live run as they are flushed and stops when it ends", async () => {
    const root = tmp();
    const child = spawnContextChild("print", { offlineRoot: root, runUuid: UUID, trackCode: false, collectResources: false, waitMs: 3000, lateLine: true, flushIntervalMs: 50 });
    const exited = waitForExit(child);
    const run = join(root, "runs", UUID);
    while (!existsSync(join(run, "run.plx.json"))) await new Promise((r) => setTimeout(r, 20));
    expect(JSON.parse(readFileSync(join(run, "run.plx.json"), "utf8")).status).toBe("running");
    const followed: string[] = [];
    let sawLate = false;
    let endedWhenLateSeen = true;
    await runLogs([run, "--follow"], (s) => {
      followed.push(s);
      if (s === "late line" && !sawLate) {
        sawLate = true;
        endedWhenLateSeen = JSON.parse(readFileSync(join(run, "run.plx.json"), "utf8")).status !== "running";
      }
    }, 50);
    expect((await exited).code).toBe(0);
    expect(followed[0]).toBe("first line");
    expect(followed.at(-1)).toBe("late line");
    // The late line was printed by the follower while the run was still live.
    expect(endedWhenLateSeen).toBe(false);
    expect(followed).toEqual(await capture([run]));
  });

  it("says so when a run captured nothing", async () => {
    const root = tmp();
    const res = await runToEnd(spawnContextChild("print", { offlineRoot: root, collectLogs: false, collectResources: false, trackCode: false }));
    expect(await capture([donePath(res.stdout)])).toEqual([expect.stringMatching(/^\(no captured logs: .* collectLogs/)]);
  });
});

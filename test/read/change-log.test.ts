// The runs root's change log: what runtrail's writers append, and how a listing reads it.
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init, listRuns } from "../../src/index.js";
import { changeLogPath, noteRunChanged, readChanges, rotateChangeLog, startChangeLog } from "../../src/core/read/change-log.js";
import { agePath } from "../helpers/age.js";
import { sweepUuid, writeSweepRun } from "../helpers/sweep.js";
import { useTmp } from "../helpers/tmp.js";

describe("the change log", () => {
  const tmp = useTmp();

  it("gets one line per rewrite of run.plx.json from the real writer, once a listing made .runtrail/", async () => {
    const root = tmp();
    const runsRoot = join(root, "runs");
    const opts = { offlineRoot: root, flushIntervalMs: 0, handleExit: false, collectResources: false, collectLogs: false };
    const first = await init({ ...opts, name: "before any listing" });
    await first.end();
    expect(readdirSync(runsRoot)).toEqual([first.uuid]); // a writer makes nothing outside its run folder
    expect(await listRuns(root)).toHaveLength(1);
    const run = await init({ ...opts, name: "noted" });
    run.logMetric("loss", 1, { step: 0 });
    await run.end();
    const lines = readFileSync(changeLogPath(runsRoot), "utf8").split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(new Set(lines)).toEqual(new Set([run.uuid]));
  });

  it("is read from where the last listing stopped, leaving a line still being written", () => {
    const runsRoot = tmp();
    startChangeLog(runsRoot);
    noteRunChanged(join(runsRoot, "a"));
    noteRunChanged(join(runsRoot, "b"));
    const first = readChanges(runsRoot, null);
    if (first === "reset") throw new Error("reset");
    expect([...first.names]).toEqual(["a", "b"]);
    appendFileSync(changeLogPath(runsRoot), "c\nd"); // "d" has no newline yet
    const second = readChanges(runsRoot, first.mark);
    if (second === "reset") throw new Error("reset");
    expect([...second.names]).toEqual(["c"]);
    appendFileSync(changeLogPath(runsRoot), "\n");
    const third = readChanges(runsRoot, second.mark);
    expect(third !== "reset" && [...third.names]).toEqual(["d"]);
  });

  it("says reset when the log is not the one the mark is about: replaced, cut shorter, or gone", () => {
    const runsRoot = tmp();
    startChangeLog(runsRoot);
    noteRunChanged(join(runsRoot, "a"));
    const read = readChanges(runsRoot, null);
    if (read === "reset") throw new Error("reset");
    truncateSync(changeLogPath(runsRoot), 0);
    expect(readChanges(runsRoot, read.mark)).toBe("reset");
    rmSync(changeLogPath(runsRoot));
    expect(readChanges(runsRoot, read.mark)).toBe("reset");
    expect(readChanges(runsRoot, null)).toEqual({ names: new Set(), mark: null });
    writeFileSync(changeLogPath(runsRoot), "x\nyy\n");
    expect(readChanges(runsRoot, read.mark)).toBe("reset"); // another file (inode)
  });

  it("is started afresh by a full check once past 8 MiB, and never written where the root is not writable", () => {
    const runsRoot = tmp();
    startChangeLog(runsRoot);
    writeFileSync(changeLogPath(runsRoot), `${"x".repeat(63)}\n`.repeat(131_073));
    const big = readChanges(runsRoot, null);
    if (big === "reset") throw new Error("reset");
    expect(rotateChangeLog(runsRoot, big.mark)).toBeNull();
    expect(existsSync(changeLogPath(runsRoot))).toBe(false);
    noteRunChanged(join(runsRoot, "a"));
    expect(statSync(changeLogPath(runsRoot)).size).toBe(2);
    // `.runtrail` taken by a file: the note is dropped, nothing throws.
    const other = tmp();
    writeFileSync(join(other, ".runtrail"), "not a folder");
    expect(() => noteRunChanged(join(other, "a"))).not.toThrow();
    expect(readFileSync(join(other, ".runtrail"), "utf8")).toBe("not a folder");
  });
});

describe("names in the change log", () => {
  const tmp = useTmp();

  it("are never followed out of the runs root, into hidden folders or through symlinks", async () => {
    const root = tmp();
    const runsRoot = join(root, "runs");
    const outside = join(root, "outside");
    writeSweepRun(runsRoot, { uuid: sweepUuid(1), status: "succeeded", createdMs: Date.UTC(2024, 0, 1), metrics: { loss: [0.5] } });
    writeSweepRun(outside, { uuid: sweepUuid(2), status: "succeeded", createdMs: Date.UTC(2024, 0, 1), metrics: { loss: [0.25] } });
    symlinkSync(join(outside, sweepUuid(2)), join(runsRoot, "linked"));
    expect((await listRuns(root)).map((r) => r.uuid)).toEqual([sweepUuid(1)]);
    agePath(runsRoot); // the root folder settled: the next listings trust the index
    expect((await listRuns(root)).map((r) => r.uuid)).toEqual([sweepUuid(1)]);
    appendFileSync(changeLogPath(runsRoot), `../outside/${sweepUuid(2)}\n..\n.runtrail\nlinked\n`);
    expect((await listRuns(root, { recheckMs: 60_000 })).map((r) => r.uuid)).toEqual([sweepUuid(1)]);
  });
});

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { donePath, readLogRecords, runToEnd, spawnContextChild } from "./helpers.js";
import { useTmp } from "../helpers/tmp.js";

const tmp = useTmp();
const quiet = { collectResources: false, trackCode: false, trackEnv: false };

describe("log capture (child processes, real stdout/stderr pipes)", () => {
  it("the parent's pipes get every byte unchanged, and plxlogs/logs.jsonl gets the lines in order", async () => {
    const root = tmp();
    const withCapture = await runToEnd(spawnContextChild("print", { offlineRoot: root, ...quiet }));
    const without = await runToEnd(spawnContextChild("print", { offlineRoot: root, ...quiet, collectLogs: false }));
    expect(withCapture.code).toBe(0);
    // Same bytes reach the terminal with and without capture (only the run path differs).
    const strip = (b: Buffer): Buffer => Buffer.from(b.toString("latin1").replace(/done \S+\n/, "done\n"), "latin1");
    expect(strip(withCapture.stdout).equals(strip(without.stdout))).toBe(true);
    expect(withCapture.stdout.includes(Buffer.from([0xff, 0xfe, 0x00]))).toBe(true);
    expect(withCapture.stderr.toString()).toBe(without.stderr.toString());

    const run = donePath(withCapture.stdout);
    const text = readFileSync(join(run, "plxlogs/logs.jsonl"), "utf8");
    expect(text.startsWith("\n")).toBe(true);
    expect(text.endsWith("\n")).toBe(false);
    const values = readLogRecords(run).map((r) => r.value);
    const long = "x".repeat(40_000);
    expect(values).toEqual([
      "first line",
      "a partial line joined",
      "to stderr",
      "progress 100%",
      "bin\ufffd\ufffd\u0000\u001b[0m",
      "€ writes",
      long.slice(0, 16384),
      long.slice(16384, 32768),
      long.slice(32768),
      "last line",
    ]);
    const rec = readLogRecords(run)[0]!;
    expect(Object.keys(rec)).toEqual(["timestamp", "node", "pod", "container", "value"]);
    expect(rec.node).toBe("local");
    expect(rec.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    // The run with collectLogs: false wrote no plxlogs folder.
    expect(existsSync(join(donePath(without.stdout), "plxlogs"))).toBe(false);
  });

  it("RUNTRAIL_COLLECT_LOGS=false turns capture off when the option is not given", async () => {
    const root = tmp();
    const res = await runToEnd(spawnContextChild("print", { offlineRoot: root, ...quiet }, { env: { ...process.env, RUNTRAIL_COLLECT_LOGS: "false" } }));
    expect(existsSync(join(donePath(res.stdout), "plxlogs"))).toBe(false);
  });
});

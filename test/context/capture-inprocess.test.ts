import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Run, RunWriteError } from "../../src/index.js";
import { LogsFile, MAX_PENDING_CHARS } from "../../src/core/context/logs-file.js";
import { LineSplitter, MAX_LINE_CHARS } from "../../src/core/context/line-splitter.js";
import { isCapturing } from "../../src/core/context/stdio-hook.js";
import { readLogRecords } from "./helpers.js";
import { useTmp } from "../helpers/tmp.js";

const tmp = useTmp();
const logsOnly = { collectResources: false, trackCode: false, trackEnv: false, handleExit: false } as const;

function split(chunks: Array<string | Uint8Array>): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  for (const c of chunks) s.push(c);
  s.end();
  return lines;
}

describe("LineSplitter", () => {
  it("joins partial lines, keeps what a terminal shows after \\r, and skips blank lines", () => {
    expect(split(["ab", "c\nd", "e\n"])).toEqual(["abc", "de"]);
    expect(split(["50%\r", "100%\r", "\n"])).toEqual(["100%"]);
    expect(split(["a\rb\r\n", "\n", "   \n", "tail"])).toEqual(["b", "tail"]);
    expect(split(["windows\r\n"])).toEqual(["windows"]);
  });

  it("a million \\r redraws and an endless line keep memory bounded", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    for (let i = 0; i < 1_000_000; i++) s.push(`\rstep ${i}`);
    s.push("\n");
    expect(lines).toEqual(["step 999999"]);
    lines.length = 0;
    for (let i = 0; i < 1000; i++) s.push("z".repeat(1000));
    s.end();
    expect(lines.every((l) => l.length <= MAX_LINE_CHARS)).toBe(true);
    expect(lines.join("").length).toBe(1_000_000);
  });
});

describe("capture inside one process", () => {
  it("end() restores process.stdout.write and process.stderr.write exactly", async () => {
    const before = { out: process.stdout.write, err: process.stderr.write, ownOut: Object.hasOwn(process.stdout, "write"), ownErr: Object.hasOwn(process.stderr, "write") };
    const run = new Run({ offlineRoot: tmp(), ...logsOnly });
    expect(process.stdout.write).not.toBe(before.out);
    expect(isCapturing()).toBe(true);
    await run.end();
    expect(process.stdout.write).toBe(before.out);
    expect(process.stderr.write).toBe(before.err);
    expect(Object.hasOwn(process.stdout, "write")).toBe(before.ownOut);
    expect(Object.hasOwn(process.stderr, "write")).toBe(before.ownErr);
    expect(isCapturing()).toBe(false);
  });

  it("two runs in one process: the newest captures, nobody records a line twice, ending in any order restores", async () => {
    const before = process.stdout.write;
    const a = new Run({ offlineRoot: tmp(), ...logsOnly });
    process.stdout.write("only in a\n");
    const b = new Run({ offlineRoot: tmp(), ...logsOnly });
    process.stdout.write("only in b\n");
    await a.end();
    process.stdout.write("still b\n");
    await b.end();
    process.stdout.write("nobody\n");
    expect(process.stdout.write).toBe(before);
    expect(readLogRecords(a.artifactsPath).map((r) => r.value)).toEqual(["only in a"]);
    expect(readLogRecords(b.artifactsPath).map((r) => r.value)).toEqual(["only in b", "still b"]);
  });

  it("flush() writes captured lines; a wrapper installed after ours keeps working after end()", async () => {
    const run = new Run({ offlineRoot: tmp(), ...logsOnly, flushIntervalMs: 0 });
    process.stdout.write("flushed now\n");
    const file = join(run.artifactsPath, "plxlogs/logs.jsonl");
    expect(readFileSync(file, "utf8")).toBe("");
    await run.flush();
    expect(readLogRecords(run.artifactsPath).map((r) => r.value)).toEqual(["flushed now"]);
    const ours = process.stdout.write;
    const seen: string[] = [];
    const theirs = function (this: NodeJS.WriteStream, ...args: Parameters<typeof process.stdout.write>): boolean {
      seen.push(String(args[0]));
      return (ours as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof process.stdout.write;
    process.stdout.write = theirs;
    await run.end();
    expect(process.stdout.write).toBe(theirs); // not clobbered
    process.stdout.write("after end\n");
    expect(seen).toContain("after end\n");
    expect(readLogRecords(run.artifactsPath).map((r) => r.value)).toEqual(["flushed now"]);
    // Put the original back for the other tests of this file.
    process.stdout.write = ours;
  });
});

describe("LogsFile while the disk refuses writes", () => {
  it("keeps at most 8 MiB of lines in memory, counts the dropped ones, reports one error per failed flush and writes nothing half", () => {
    const dir = tmp();
    writeFileSync(join(dir, "not-a-folder"), "");
    const errors: RunWriteError[] = [];
    const file = new LogsFile(join(dir, "not-a-folder", "plxlogs", "logs.jsonl"), (e) => errors.push(e));
    const record = JSON.stringify({ value: "z".repeat(1000) });
    for (let i = 0; i < 20_000; i++) file.append(record); // 20 MB offered
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(RunWriteError);
    expect(file.droppedLines).toBeGreaterThan(10_000);
    expect((20_000 - file.droppedLines) * (record.length + 1)).toBeLessThanOrEqual(MAX_PENDING_CHARS + record.length + 1);
    expect(() => file.flush()).toThrow(RunWriteError);
  });

  it("once lines flow again, a record says how many were dropped, where they were dropped", () => {
    const dir = tmp();
    const blocker = join(dir, "plxlogs");
    writeFileSync(blocker, ""); // a file where the folder should be: every write fails
    const file = new LogsFile(join(blocker, "logs.jsonl"), () => undefined, (n) => JSON.stringify({ value: `dropped ${n}` }));
    const record = JSON.stringify({ value: "z".repeat(1000) });
    for (let i = 0; i < 10_000; i++) file.append(record);
    const dropped = file.droppedLines;
    expect(dropped).toBeGreaterThan(0);
    rmSync(blocker);
    file.flush(); // the disk works again: the kept lines are written
    file.append(JSON.stringify({ value: "after" }));
    file.flush();
    const values = readFileSync(join(blocker, "logs.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { value: string }).value);
    expect(values.slice(-2)).toEqual([`dropped ${dropped}`, "after"]);
    expect(values.length).toBe(10_000 - dropped + 2);
  });
});

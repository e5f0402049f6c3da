// One test per defect of issue #17 that an outside probe found (defect 5, wrong-typed metadata in
// the readers, is tested with the read model). Each failed on the code before the fix.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init, InvalidValueError, loadRun, ProtectedRunPathError, readEvents, RuntrailError } from "../../src/index.js";
import { collect, hungAt, runChild } from "../helpers/bounded-child.js";
import { REPO } from "../helpers/reliability.js";
import { useTmp } from "../helpers/tmp.js";

const FIXTURE = "test/fixtures/special-files-child.ts";
const BOUND_MS = 100_000; // below vitest's 120 s test timeout, so a hang is reported with what hung

/** The file of the only stream of `kind` in a run. */
const streamPath = (run: string, kind: string, name: string): string => join(run, "events", kind, `${name}.plx`);

describe("issue #17", () => {
  const tmp = useTmp();

  it("defect 1: a last row cut inside a multi-byte character is removed without touching the row before it", async () => {
    const dir = join(tmp(), "run");
    const run = await init({ artifactsPath: dir, handleExit: false, flushIntervalMs: 0 });
    run.logCurve("c", [0, 1], [0, 1], { annotation: "naïve é", step: 0 });
    run.logCurve("c", [0, 1], [0, 1], { annotation: "naïve é", step: 1 });
    await run.end();
    const file = streamPath(dir, "curve", "c");
    const bytes = readFileSync(file);
    const e = bytes.lastIndexOf(Buffer.from("é")); // in the last row
    writeFileSync(file, bytes.subarray(0, e + 1)); // killed right after the first byte of "é"
    expect((await readEvents(dir, "curve", "c")).map((r) => r.step)).toEqual([0]);

    const resumed = await init({ artifactsPath: dir, handleExit: false, flushIntervalMs: 0 });
    resumed.logCurve("c", [0, 1], [0, 1], { annotation: "naïve é", step: 2 });
    await resumed.end(); // threw CorruptRunError: the repair had eaten the end of row 0
    const rows = await readEvents(dir, "curve", "c");
    expect(rows.map((r) => [r.step, r.value.annotation])).toEqual([
      [0, "naïve é"],
      [2, "naïve é"],
    ]);
  });

  it("defect 2: a cut last row longer than any read window (a curve of 200k points, several MB, cut at 90 %) is removed", async () => {
    const dir = join(tmp(), "run");
    const run = await init({ artifactsPath: dir, handleExit: false, flushIntervalMs: 0 });
    const n = 200_000;
    const yTrue = Array.from({ length: n }, (_, i) => (i * 7919) % 3 === 0 ? 1 : 0);
    const yScore = Array.from({ length: n }, (_, i) => ((i * 104729) % 100_003) / 100_003);
    run.logMetric("loss", 1, { step: 0 });
    run.logCurve("roc", yScore.slice(0, 100), yTrue.slice(0, 100), { step: 0 });
    run.logCurve("roc", yScore, yTrue, { step: 1 });
    await run.end();
    const file = streamPath(dir, "curve", "roc");
    const bytes = readFileSync(file);
    const lastNl = bytes.lastIndexOf(0x0a);
    expect(bytes.length - lastNl).toBeGreaterThan(2_000_000);
    writeFileSync(file, bytes.subarray(0, lastNl + Math.floor((bytes.length - lastNl) * 0.9)));

    const resumed = await init({ artifactsPath: dir, handleExit: false, flushIntervalMs: 0 });
    resumed.logCurve("roc", yScore.slice(0, 100), yTrue.slice(0, 100), { step: 2 });
    await resumed.end();
    expect((await readEvents(dir, "curve", "roc")).map((r) => r.step)).toEqual([0, 2]);
  });

  it("defect 3: logArtifact of a FIFO or /dev/zero is refused at once, end() resolves and the process exits", async () => {
    const r = await runChild(FIXTURE, ["fifo-artifact", tmp()], BOUND_MS);
    expect(r.timedOut, `hung at: ${hungAt(r.stdout)}`).toBe(false);
    expect(r.results.get("fifo versioned")).toMatch(/^NotRegularFileError named .*FIFO/);
    expect(r.results.get("fifo move")).toMatch(/^NotRegularFileError named .*FIFO/);
    expect(r.results.get("dev-zero versioned")).toMatch(/^NotRegularFileError named .*character device/);
    expect(r.results.get("end")).toBe("ok");
    expect(r.code).toBe(0);
  });

  it("defect 4: a FIFO as run.plx.json, lineages.plx.json or an event file: `runtrail ls` answers, the dashboard answers and stops on SIGTERM", async () => {
    const root = join(tmp(), "plx");
    const good = join(root, "runs", "good");
    const run = await init({ artifactsPath: good, handleExit: false, flushIntervalMs: 0 });
    run.logMetric("loss", 0.5, { step: 0 });
    await run.end();
    for (const [id, file] of [
      ["meta", "run.plx.json"],
      ["lineage", "lineages.plx.json"],
      ["event", "events/metric/loss.plx"],
    ] as const) {
      const dir = join(root, "runs", id);
      cpSync(good, dir, { recursive: true });
      execFileSync("rm", ["-f", join(dir, file)]);
      execFileSync("mkfifo", [join(dir, file)]);
    }
    // The real command line, as a user runs it.
    const ls = await collect(spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "ls", root], { cwd: REPO }), BOUND_MS);
    expect(ls.timedOut, "runtrail ls hung").toBe(false);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain(run.uuid.slice(0, 12)); // the good run and its copies are listed
    expect(ls.stdout).toMatch(/damaged run meta: run\.plx\.json/); // the FIFO one is named, not hidden

    const ui = spawn(process.execPath, ["--import", "tsx", FIXTURE, "ui", root], { cwd: REPO });
    const done = collect(ui, BOUND_MS);
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      ui.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /runtrail dashboard: (http:\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      ui.on("exit", () => reject(new Error(out)));
    });
    // Was: each /api/runs took a thread-pool thread forever; after 4 nothing answered.
    for (let i = 0; i < 8; i++) {
      const res = await fetch(new URL("/api/runs", url), { signal: AbortSignal.timeout(60_000) });
      const runs = (await res.json()) as Array<{ id: string; status: string | null; damaged?: string[] }>;
      expect(runs.find((r) => r.id === "good")?.status).toBe("succeeded");
      expect(runs.find((r) => r.id === "meta")?.damaged?.join(" ")).toMatch(/run\.plx\.json/); // listed as damaged, not hidden
    }
    ui.kill("SIGTERM");
    const r = await done;
    expect(r.timedOut, "SIGTERM was ignored").toBe(false);
    expect(r.stdout).toContain("UI-EXIT 0");
  });

  it("defect 6: the run's own bookkeeping is refused as a source, and the run stays whole", async () => {
    const dir = join(tmp(), "run");
    const run = await init({ artifactsPath: dir, handleExit: false, flushIntervalMs: 0 });
    run.logMetric("loss", 0.5, { step: 0 });
    await run.logArtifactRef({ path: "s3://bucket/data.csv" });
    await run.flush();
    mkdirSync(join(dir, "plxlogs"), { recursive: true });
    writeFileSync(join(dir, "plxlogs", "log"), "x");
    mkdirSync(join(dir, "resources"), { recursive: true });
    for (const rel of ["events", "assets", "lineages.plx.json", "run.plx.json", "events/metric/loss.plx", "events/metric", "plxlogs/log", "resources", ".runtrail"]) {
      const path = run.getArtifactsPath(rel);
      for (const call of [
        () => run.logArtifact({ path }),
        () => run.logArtifact({ path, copy: true }),
        () => run.logArtifact({ path, step: 1 }),
        () => run.logModel({ path }),
      ]) {
        await expect(call(), rel).rejects.toBeInstanceOf(ProtectedRunPathError);
      }
    }
    run.logMetric("loss", 0.25, { step: 1 });
    await run.end();
    const loaded = await loadRun(dir);
    expect(loaded.streams).toContainEqual({ kind: "metric", name: "loss" });
    expect((await readEvents(dir, "metric", "loss")).map((r) => r.value)).toEqual([0.5, 0.25]);
    expect(loaded.lineage.map((l) => l.name)).toContain("data");
  });

  it("defect 7: numeric options are checked against their range, a run root that is a file is a named error, __proto__ keys are kept", async () => {
    const dir = tmp();
    for (const bad of [2 ** 31, -1, Number.NaN, "5", 1.5, Number.POSITIVE_INFINITY]) {
      const err = await init({ artifactsPath: join(dir, "r"), handleExit: false, flushIntervalMs: bad as number }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidValueError);
      expect((err as Error).message).toContain("from 0 to 2147483647");
      const sync = await init({ artifactsPath: join(dir, "r"), handleExit: false, syncIntervalMs: bad as number }).catch((e: unknown) => e);
      expect(sync).toBeInstanceOf(InvalidValueError);
    }
    const file = join(dir, "file");
    writeFileSync(file, "x");
    for (const opts of [{ artifactsPath: file }, { offlineRoot: file }, { artifactsPath: join(file, "sub") }]) {
      const err = await init({ ...opts, handleExit: false }).catch((e: unknown) => e);
      expect(err, JSON.stringify(opts)).toBeInstanceOf(RuntrailError);
      expect((err as Error).message).toMatch(/must be a folder/);
    }
    const run = await init({ artifactsPath: join(dir, "ok"), handleExit: false, flushIntervalMs: 2 ** 31 - 1 });
    run.logInputs(JSON.parse('{"__proto__": {"depth": 3}, "lr": 0.1}') as Record<string, unknown>);
    run.logOutputs(JSON.parse('{"__proto__": 1}') as Record<string, unknown>);
    await run.end();
    const meta = JSON.parse(readFileSync(join(dir, "ok", "run.plx.json"), "utf8")) as { inputs: object; outputs: object };
    expect(Object.keys(meta.inputs).sort()).toEqual(["__proto__", "lr"]);
    expect(Object.getOwnPropertyDescriptor(meta.inputs, "__proto__")?.value).toEqual({ depth: 3 });
    expect(Object.keys(meta.outputs)).toContain("__proto__");
  });
});

import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, loadRun, readEvents, RuntrailError, toFqnName, V1ArtifactKind, type Run } from "../../src/index.js";
import { pyFloatRepr } from "../../src/core/events/pyformat.js";
import { checkRun, hash12, selfCheckingBytes, snapshotTree, treeDiff } from "../helpers/reliability.js";

const RUNS = Number(process.env.RUNTRAIL_FUZZ_RUNS ?? 250);
const stats = { cases: 0, records: 0, rejected: 0, writerErrors: 0 };
/** Counts of the property running now: a method that rejected every input must not pass. */
let current = { cases: 0, records: 0 };
/**
 * The least share of a property's generated calls that must be accepted and read back as a
 * clean record. The generators lean toward valid input (about half to two thirds of calls are
 * valid, 52–81% measured at 100 runs); a floor well below that still fails a method that rejects what it should take.
 */
const MIN_ACCEPTED_SHARE = 0.35;
const shares: string[] = [];

// ---------------------------------------------------------------- arbitraries

const TRICKY = [
  "", ".", "..", "../x", "../../etc/passwd", "/abs/path", "a/b", "a\\b", "\0", "a\0b", " ", "-", "|", "a|b", "é", "💥", "ｖａｌ",
  "val/acc", "val.acc", "__proto__", "constructor", "x".repeat(300), "y".repeat(5000), "link", "link/inner", "\u202e", "\ud800", "con", "a\nb",
];
// Weighted so that about half of the calls are valid and their records get read back.
const name = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z][\w./ -]{0,30}$/) },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
);
const step = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.nat(1_000_000) },
  { weight: 2, arbitrary: fc.constantFrom(-1, 0.5, Number.NaN, Infinity, -Infinity, 2 ** 53, 1e300, -0, Number.MAX_SAFE_INTEGER, null, "3", true) },
  { weight: 1, arbitrary: fc.double() },
) as fc.Arbitrary<number | undefined>;
/** Valid input, so that a fair share of the calls is accepted and read back (see MIN_ACCEPTED_SHARE). */
const validName = fc.stringMatching(/^[a-zA-Z][\w.-]{0,24}$/);
const validStep = fc.option(fc.nat(1_000_000), { nil: undefined });
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const finiteArray = (n: number) => fc.array(finite, { minLength: n, maxLength: n });
/** About three calls in five from the valid generator, the rest from the fuzzing one. */
function mix<T extends unknown[], U extends unknown[]>(valid: fc.Arbitrary<T>, fuzz: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 3, arbitrary: valid as fc.Arbitrary<T | U> }, { weight: 2, arbitrary: fuzz as fc.Arbitrary<T | U> });
}
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 5e-324, 1e16, 1e21, 0.1));
const anyValue = fc.oneof({ weight: 10, arbitrary: number }, fc.string({ maxLength: 5 }), fc.object({ maxDepth: 1 }), fc.constantFrom(null, undefined, true), fc.bigInt());
const kind = fc.oneof(fc.constantFrom(...Object.values(V1ArtifactKind)), fc.string({ maxLength: 8 }), fc.constantFrom("Model", "metric ", "../file", "", 3)) as fc.Arbitrary<V1ArtifactKind>;
const numbers = fc.oneof(
  { weight: 10, arbitrary: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 8 }) },
  { weight: 2, arbitrary: fc.array(fc.double(), { maxLength: 8 }) },
  fc.array(anyValue, { maxLength: 4 }),
  fc.constantFrom("not an array", null, new Float32Array([1, 2]), new Float64Array([0.5, -0]), { length: 2, 0: 1, 1: 2 }),
) as fc.Arbitrary<number[]>;
const relPath = fc.oneof(
  fc.constantFrom(undefined, "", "reports", "a/b/c", "..", "../escape", "a/../../escape", "/abs", "C:\\x", "link", "link/inner", "a\0b", "z".repeat(300), "./.", "sub/", "a//b"),
  name,
);
const json = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.object({ maxDepth: 2, values: [fc.double(), fc.string({ maxLength: 4 }), fc.constant(undefined), fc.bigInt(), fc.constant(null)] }),
);
const circular = fc.constant(null).map(() => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
});

/** What a JSON reader gets back for a free-form value (NaN → null, undefined dropped, bigint → number). */
const jsonNormal = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x)) ?? "null");

// ---------------------------------------------------------------- harness

let run: Run;
let root: string;
let sandbox: string;
let parent: string;
let before: Map<string, string>;
let oldCwd: string;
let serial = 0;

/** Either the call succeeds (and `check` proves the record), or it throws a RuntrailError. */
async function attempt<T>(label: string, call: () => T | Promise<T>, check: (result: T) => void | Promise<void>): Promise<void> {
  stats.cases++;
  current.cases++;
  let result: T;
  try {
    result = await call();
  } catch (err) {
    if (err instanceof RuntrailError) {
      stats.rejected++;
      return;
    }
    throw new Error(`${label} threw ${(err as Error)?.constructor?.name} instead of a RuntrailError: ${(err as Error)?.message}`, { cause: err });
  }
  await run.flush(); // a clean record can be written: a later flush failure is a bad record
  await check(result);
  stats.records++;
  current.records++;
}

async function lastRow(kind: string, n: string) {
  const rows = await readEvents(run.artifactsPath, kind, n);
  expect(rows.length, `no readable ${kind} row for ${JSON.stringify(n)}`).toBeGreaterThan(0);
  return rows.at(-1)!;
}

function expectInsideRun(p: string): void {
  let existing = p;
  while (!existsSync(existing)) existing = dirname(existing);
  const rel = relative(realpathSync(run.artifactsPath), join(realpathSync(existing), relative(existing, p)));
  expect(rel === ".." || rel.startsWith(`..${sep}`) || resolve(rel) === rel, `${p} is outside the run`).toBe(false);
}

/** A fresh source in the sandbox (the working directory): a self-checking file or a folder. */
function freshSource(kindOf: "file" | "dir" | "missing"): string {
  // logArtifact({ path: "." }) legitimately moves the working directory itself into the run.
  mkdirSync(sandbox, { recursive: true });
  process.chdir(sandbox);
  const n = `src-${serial++}`;
  if (kindOf === "file") writeFileSync(join(sandbox, `${n}.txt`), selfCheckingBytes(serial, 512));
  if (kindOf === "dir") {
    mkdirSync(join(sandbox, n, "inner"), { recursive: true });
    writeFileSync(join(sandbox, n, "inner", "a.txt"), selfCheckingBytes(serial, 256));
  }
  return kindOf === "file" ? `${n}.txt` : n;
}
const sourcePath = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("file", "dir", "missing").map((k) => () => freshSource(k as "file")) },
  { weight: 2, arbitrary: fc.constantFrom("file", "dir").map((k) => () => resolve(sandbox, freshSource(k as "file"))) },
  fc.constantFrom("", "..", ".", "/nonexistent/x", "s3://bucket/key", "a\0b", 42).map((v) => () => v as string),
);

/** RUNTRAIL_FUZZ_SEED (and RUNTRAIL_FUZZ_PATH) replay a failure that fast-check reported. */
const REPLAY = process.env.RUNTRAIL_FUZZ_SEED ? { seed: Number(process.env.RUNTRAIL_FUZZ_SEED), path: process.env.RUNTRAIL_FUZZ_PATH } : {};

async function property(label: string, prop: fc.IAsyncProperty<any>): Promise<void> {
  current = { cases: 0, records: 0 };
  await fc.assert(prop, { numRuns: RUNS, ...REPLAY });
  expect(treeDiff(before, snapshotOutside()), `${label} touched files outside the run`).toEqual([]);
  const share = current.records / Math.max(1, current.cases);
  shares.push(`${label} ${(share * 100).toFixed(0)}%`);
  expect(current.cases, `${label}: no call was made`).toBeGreaterThanOrEqual(RUNS);
  expect(share, `${label}: only ${current.records} of ${current.cases} generated calls were accepted and read back`).toBeGreaterThanOrEqual(MIN_ACCEPTED_SHARE);
}

function snapshotOutside(): Map<string, string> {
  const runRel = relative(parent, run.artifactsPath);
  const sandboxRel = relative(parent, sandbox);
  return snapshotTree(parent, (rel) => rel === runRel || rel === sandboxRel);
}

// ---------------------------------------------------------------- properties

describe("fuzzed input to every public logging method", () => {
  beforeAll(async () => {
    parent = realpathSync(mkdtempSync(join(tmpdir(), "runtrail-fuzz-")));
    root = join(parent, "root");
    sandbox = join(parent, "sandbox");
    mkdirSync(join(parent, "canary", "deep"), { recursive: true });
    writeFileSync(join(parent, "canary", "deep", "keep.txt"), "canary");
    mkdirSync(sandbox);
    run = await init({ offlineRoot: root, flushIntervalMs: 0, handleExit: false });
    await (await init({ offlineRoot: root, handleExit: false })).end(); // a sibling run: a canary too
    symlinkSync(join(parent, "canary"), join(run.artifactsPath, "outputs", "link")); // a symlink that escapes
    oldCwd = process.cwd();
    process.chdir(sandbox); // relative source paths resolve here, never in the repository
    before = snapshotOutside();
  });

  afterAll(async () => {
    process.chdir(oldCwd);
    rmSync(parent, { recursive: true, force: true });
    console.log(
      `[reliability] fuzz: ${stats.cases} generated calls against 18 public methods (${RUNS} runs per property): ` +
        `${stats.records} clean records read back, ${stats.rejected} rejected with a RuntrailError, ${stats.writerErrors} saveModel writer errors passed through unchanged, 0 other errors, 0 files outside the run; ` +
        `accepted per property: ${shares.join(", ")}`,
    );
  });

  it("logMetric", () =>
    property(
      "logMetric",
      fc.asyncProperty(
        mix(
          fc.tuple(validName, number as fc.Arbitrary<unknown>, validStep, fc.option(fc.integer({ min: 0, max: 3e12 }))),
          fc.tuple(name, anyValue, step, fc.option(fc.oneof(fc.integer({ min: -7e13, max: 3e14 }), fc.double(), fc.date({ noInvalidDate: false })))),
        ),
        async ([n, v, s, ts]) => {
        const opts = s === undefined && ts === null ? undefined : { step: s, ...(ts !== null && { timestamp: ts as number }) };
        await attempt("logMetric", () => run.logMetric(n, v as number, opts), async () => {
          const row = await lastRow("metric", n);
          expect(Object.is(row.value, v), `value ${String(v)} read back as ${row.value}`).toBe(true);
          expect(row.step === (s ?? null), `step ${s} read back as ${row.step}`).toBe(true);
          if (ts !== null) expect(row.timestamp.getTime()).toBe(Math.floor(ts instanceof Date ? ts.getTime() : ts) + 0); // whole ms (-0 is 0)
        });
        },
      ),
    ));

  it("logMetrics (all or nothing)", () =>
    property(
      "logMetrics",
      fc.asyncProperty(mix(fc.tuple(fc.dictionary(validName, number, { minKeys: 1, maxKeys: 4 }) as fc.Arbitrary<Record<string, unknown>>, validStep), fc.tuple(fc.dictionary(name, anyValue, { maxKeys: 4 }), step)), async ([values, s]) => {
        const counts = new Map<string, number>();
        for (const k of Object.keys(values)) {
          try {
            const fqn = toFqnName(k);
            counts.set(fqn, existsSync(join(run.artifactsPath, "events/metric", `${fqn}.plx`)) ? (await readEvents(run.artifactsPath, "metric", fqn)).length : 0);
          } catch {
            // an invalid name: the call must throw
          }
        }
        let ok = false;
        await attempt("logMetrics", () => run.logMetrics(values as Record<string, number>, { step: s }), async () => {
          ok = true;
          const byFqn = new Map<string, unknown[]>();
          for (const [k, v] of Object.entries(values)) byFqn.set(toFqnName(k), [...(byFqn.get(toFqnName(k)) ?? []), v]);
          for (const [fqn, vs] of byFqn) {
            const rows = await readEvents(run.artifactsPath, "metric", fqn);
            expect(rows.slice(-vs.length).map((r) => r.value)).toEqual(vs);
          }
        });
        if (!ok) {
          await run.flush();
          for (const [fqn, c] of counts) {
            const now = existsSync(join(run.artifactsPath, "events/metric", `${fqn}.plx`)) ? (await readEvents(run.artifactsPath, "metric", fqn)).length : 0;
            expect(now, `a rejected logMetrics call wrote to ${fqn}`).toBe(c);
          }
        }
      }),
    ));

  it("logCurve", () =>
    property(
      "logCurve",
      fc.asyncProperty(
        mix(
          fc.tuple(
            validName,
            fc.nat(8).chain((k) => fc.tuple(finiteArray(k), finiteArray(k))),
            fc.constantFrom<unknown>(undefined, "", 0, "auc=0.9", 0.5, Number.NaN),
            validStep,
          ).map(([n, [x, y], a, s]) => [n, x, y, a, s] as [string, number[], number[], unknown, number | undefined]),
          fc.tuple(name, numbers, numbers, fc.oneof(fc.constantFrom(undefined, "", 0, "auc=0.9", 0.5, Number.NaN), anyValue), step),
        ),
        async ([n, x, y, a, s]) => {
        await attempt("logCurve", () => run.logCurve(n, x, y, { annotation: a as string, step: s }), async () => {
          const row = await lastRow("curve", n);
          const value: Record<string, unknown> = { kind: "custom", x: Array.from(x), y: Array.from(y) };
          if (a !== undefined && a !== "" && a !== 0) value.annotation = typeof a === "number" ? pyFloatRepr(a) : a;
          expect(row.value).toEqual(value);
          expect(row.step === (s ?? null), `step ${s} read back as ${row.step}`).toBe(true);
        });
        },
      ),
    ));

  it("logSklearnRocAucCurve / logSklearnPrCurve", () =>
    property(
      "roc/pr",
      fc.asyncProperty(
        mix(
          fc.tuple(
            validName,
            fc.integer({ min: 2, max: 12 }).chain((k) =>
              fc.tuple(fc.array(fc.constantFrom(0, 1), { minLength: k - 2, maxLength: k - 2 }).map((ys) => [0, 1, ...ys]), finiteArray(k)),
            ),
            fc.boolean(),
            validStep,
          ).map(([n, [yTrue, yScore], roc, s]) => [n, yTrue, yScore, roc, s] as [string, unknown[], number[], boolean, number | undefined]),
          fc.tuple(
            name,
            fc.oneof({ weight: 4, arbitrary: fc.array(fc.constantFrom(0, 1), { maxLength: 12 }) }, fc.array(anyValue, { maxLength: 4 })),
            numbers,
            fc.boolean(),
            step,
          ),
        ),
        async ([n, yTrue, yScore, roc, s]) => {
          const method = roc ? "logSklearnRocAucCurve" : "logSklearnPrCurve";
          await attempt(method, () => run[method](n, yScore, yTrue as number[], { step: s }), async ([score]) => {
            const row = await lastRow("curve", n);
            const v = row.value as { kind: string; x: number[]; y: number[]; annotation?: string };
            expect(v.kind).toBe(roc ? "roc" : "pr");
            expect(v.x.length).toBe(v.y.length);
            expect([...v.x, ...v.y].every(Number.isFinite)).toBe(true);
            expect(v.annotation).toBe(pyFloatRepr(score!)); // sklearn's score is written even when 0
          });
        },
      ),
    ));

  it("logConfusionMatrix", () =>
    property(
      "logConfusionMatrix",
      fc.asyncProperty(
        mix(
          fc.tuple(
            validName,
            fc.integer({ min: 1, max: 4 }).chain((k) =>
              fc.tuple(
                fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { minLength: k, maxLength: k }),
                fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { minLength: k, maxLength: k }),
                fc.array(fc.array(fc.nat(100), { minLength: k, maxLength: k }), { minLength: k, maxLength: k }),
              ),
            ),
            validStep,
          ).map(([n, [x, y, z], s]) => [n, x, y, z, s] as [string, unknown[], unknown[], unknown, number | undefined]),
          fc.tuple(
            name,
            fc.array(fc.oneof(fc.string({ maxLength: 4 }), number, anyValue), { maxLength: 3 }),
            fc.array(fc.oneof(fc.string({ maxLength: 4 }), number), { maxLength: 3 }),
            fc.oneof(fc.array(numbers, { maxLength: 3 }), fc.array(fc.array(fc.double(), { minLength: 2, maxLength: 2 }), { minLength: 2, maxLength: 2 }), anyValue),
            step,
          ),
        ),
        async ([n, x, y, z, s]) => {
          await attempt("logConfusionMatrix", () => run.logConfusionMatrix(n, x as string[], y as string[], z as number[][], { step: s }), async () => {
            expect((await lastRow("confusion", n)).value).toEqual(jsonNormal({ x, y, z }));
          });
        },
      ),
    ));

  it("logHistogram", () =>
    property(
      "logHistogram",
      fc.asyncProperty(
        mix(
          fc.tuple(
            validName,
            fc.oneof(
              fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 40 }),
              fc.integer({ min: 1, max: 8 }).chain((k) => fc.record({ values: fc.array(fc.nat(50), { minLength: k, maxLength: k }), counts: fc.array(fc.nat(50), { minLength: k + 1, maxLength: k + 1 }) })),
            ) as fc.Arbitrary<number[] | { values: number[]; counts: number[] }>,
            fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
            validStep,
          ),
          fc.tuple(
            name,
            fc.oneof(numbers, fc.record({ values: numbers, counts: numbers })),
            fc.oneof(fc.constant(undefined), fc.integer({ min: -2, max: 600 }), fc.constantFrom(Number.NaN, 1e9, 2.5)),
            step,
          ),
        ),
        async ([n, data, bins, s]) => {
          await attempt("logHistogram", () => run.logHistogram(n, data, { bins, step: s }), async () => {
            const v = (await lastRow("histogram", n)).value as { values: number[]; counts: number[] };
            expect(v.counts.length).toBe(v.values.length + 1);
            expect([...v.values, ...v.counts].every(Number.isFinite), JSON.stringify(v)).toBe(true);
            if (Array.isArray(data) || ArrayBuffer.isView(data)) {
              expect(v.values.reduce((a, b) => a + b, 0)).toBe((data as number[]).length);
              expect(v.values.length).toBe(bins ?? 10);
            } else expect(v).toEqual({ values: Array.from(data.values), counts: Array.from(data.counts) });
          });
        },
      ),
    ));

  it("logText / logHtml", () =>
    property(
      "text/html",
      fc.asyncProperty(
        mix(
          fc.tuple(validName, fc.string({ unit: "binary", maxLength: 60 }) as fc.Arbitrary<unknown>, fc.boolean(), validStep),
          fc.tuple(name, fc.oneof({ weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) }, anyValue), fc.boolean(), step),
        ),
        async ([n, text, html, s]) => {
        const method = html ? "logHtml" : "logText";
        await attempt(method, () => run[method](n, text as string, { step: s }), async () => {
          const row = await lastRow(html ? "html" : "text", n);
          expect(row.value).toBe(text);
          expect(row.step === (s ?? null), `step ${s} read back as ${row.step}`).toBe(true);
        });
        },
      ),
    ));

  it("logChart", () =>
    property(
      "logChart",
      fc.asyncProperty(
        mix(
          fc.tuple(validName, fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })) as fc.Arbitrary<unknown>, fc.constantFrom<unknown>(undefined, "vega", "plotly", "bokeh"), validStep),
          fc.tuple(name, fc.oneof({ weight: 4, arbitrary: json }, anyValue, circular), fc.constantFrom<unknown>(undefined, "vega", "plotly", "bokeh", "svg", 1), step),
        ),
        async ([n, figure, k, s]) => {
        await attempt("logChart", () => run.logChart(n, figure as Record<string, unknown>, { kind: k as "vega", step: s }), async () => {
          expect((await lastRow("chart", n)).value).toEqual({ kind: k ?? "vega", figure: jsonNormal(figure) });
        });
        },
      ),
    ));

  it("logImage", () =>
    property(
      "logImage",
      fc.asyncProperty(
        mix(
          fc.tuple(
            fc.option(validName, { nil: undefined }),
            fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constant("file").map(() => ({ lazy: () => freshSource("file") }))),
            fc.constantFrom<unknown>(undefined, "png", "JPG"),
            validStep,
          ),
          fc.tuple(
            fc.option(name, { nil: undefined }),
            fc.oneof(fc.uint8Array({ maxLength: 64 }), sourcePath.map((f) => ({ lazy: f }))),
            fc.constantFrom<unknown>(undefined, "png", "JPG", "tar.gz", "../x", "", "p/ng", 3),
            step,
          ),
        ),
        async ([n, data, ext, s]) => {
          const src = data instanceof Uint8Array ? data : data.lazy();
          const isFile = typeof src === "string" && !src.includes("\0") && existsSync(src) && statSync(src).isFile();
          const bytes = data instanceof Uint8Array ? Buffer.from(data) : isFile ? readFileSync(src as string) : undefined;
          await attempt("logImage", () => run.logImage(n, src, { ext: ext as string, step: s }), async (res) => {
            expectInsideRun(res.path);
            if (bytes) expect(readFileSync(res.path).equals(bytes)).toBe(true);
            expect((await lastRow("image", res.name)).value).toEqual({ path: res.relPath });
          });
        },
      ),
    ));

  it("logArtifact / logModel", () =>
    property(
      "logArtifact/logModel",
      fc.asyncProperty(
        mix(
          fc.tuple(
            fc.constantFrom("file", "dir").map((k) => () => freshSource(k as "file")) as fc.Arbitrary<() => string>,
            fc.option(validName, { nil: undefined }),
            fc.constantFrom(...Object.values(V1ArtifactKind)) as fc.Arbitrary<V1ArtifactKind>,
            validStep,
            fc.constantFrom(undefined, true, false),
            fc.constantFrom<string | undefined>(undefined, "reports", "a/b/c"),
            fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })) as fc.Arbitrary<unknown>, { nil: undefined }),
            fc.boolean(),
            fc.boolean(),
          ),
          fc.tuple(
            sourcePath,
            fc.option(name, { nil: undefined }),
            kind,
            step,
            fc.constantFrom(undefined, true, false),
            relPath,
            fc.option(fc.oneof(json, circular), { nil: undefined }),
            fc.boolean(),
            fc.boolean(),
          ),
        ),
        async ([lazy, n, k, s, versioned, rel, summary, copy, model]) => {
          const path = lazy();
          const before = typeof path === "string" && !path.includes("\0") && existsSync(path) && resolve(path).startsWith(sandbox) ? hash12(path) : undefined;
          const opts = { path, name: n, kind: k, step: s, versioned, relPath: rel, summary: summary as Record<string, unknown>, copy };
          const method = model ? "logModel" : "logArtifact";
          await attempt(method, () => (model ? run.logModel({ ...opts, framework: "onnx" }) : run.logArtifact(opts)), async (res) => {
            expectInsideRun(res.path);
            if (before) expect(hash12(res.path)).toBe(before);
            if (res.step !== undefined) {
              const row = (await lastRow(res.kind, res.name)).value as { path: string };
              expect(row.path).toBe(res.relPath);
            } else {
              const rec = (await loadRun(run.artifactsPath)).lineage.find((r) => r.kind === res.kind && r.name === res.name && r.path === res.relPath);
              expect((rec?.summary as { hash?: string })?.hash).toBe(hash12(res.path));
            }
          });
        },
      ),
    ));

  it("logArtifactRef / logModelRef", () =>
    property(
      "refs",
      fc.asyncProperty(
        mix(
          fc.tuple(
            fc.oneof(
              fc.constantFrom("file", "dir").map((k) => () => freshSource(k as "file")),
              fc.constantFrom("s3://b/k.csv", "gs://x/", "https://h/p?q=1", "../canary/deep/keep.txt").map((v) => () => v),
            ) as fc.Arbitrary<() => string>,
            fc.option(validName, { nil: undefined }),
            fc.constantFrom(...Object.values(V1ArtifactKind)) as fc.Arbitrary<V1ArtifactKind>,
            fc.constantFrom<string | undefined>(undefined, "reports", "a/b/c"),
            fc.option(fc.stringMatching(/^[0-9a-f]{12}$/), { nil: undefined }),
            fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })) as fc.Arbitrary<unknown>, { nil: undefined }),
            fc.boolean(),
          ),
          fc.tuple(
            fc.oneof(sourcePath, fc.constantFrom("s3://b/k.csv", "gs://x/", "https://h/p?q=1", "../canary/deep/keep.txt").map((v) => () => v)),
            fc.option(name, { nil: undefined }),
            kind,
            relPath,
            fc.oneof(fc.constant(undefined), fc.string({ maxLength: 12 })),
            fc.option(fc.oneof(json, circular), { nil: undefined }),
            fc.boolean(),
          ),
        ),
        async ([lazy, n, k, rel, hash, summary, model]) => {
          const path = lazy();
          const opts = { path, name: n, kind: k, relPath: rel, hash, summary: summary as Record<string, unknown>, isInput: true };
          const method = model ? "logModelRef" : "logArtifactRef";
          await attempt(method, () => (model ? run.logModelRef({ ...opts, framework: "tfjs" }) : run.logArtifactRef(opts)), async (rec) => {
            const stored = (await loadRun(run.artifactsPath)).lineage.find((r) => r.kind === rec.kind && r.name === rec.name && r.path === rec.path);
            expect(stored).toEqual(jsonNormal(rec));
          });
        },
      ),
    ));

  it("saveModel", () =>
    property(
      "saveModel",
      fc.asyncProperty(
        mix(
          fc.tuple(
            validName,
            validStep,
            fc.constantFrom<unknown>("tfjs", "onnx"),
            fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })) as fc.Arbitrary<unknown>, { nil: undefined }),
            fc.constantFrom("files", "nothing"),
          ),
          fc.tuple(name, step, fc.constantFrom<unknown>("tfjs", "", undefined, 7, "onnx"), fc.option(json, { nil: undefined }), fc.constantFrom("files", "nothing", "throws", "not a function")),
        ),
        async ([n, s, framework, summary, how]) => {
          const write =
            how === "files"
              ? async (d: string) => writeFileSync(join(d, "w.txt"), `${n}`)
              : how === "nothing"
                ? async () => undefined
                : how === "throws"
                  ? async () => {
                      throw new RuntrailErrorLike();
                    }
                  : "nope";
          await attempt(
            "saveModel",
            () => run.saveModel({ name: n, step: s, framework: framework as string, summary: summary as Record<string, unknown>, write: write as () => Promise<void> }),
            async (res) => {
              expectInsideRun(res.path);
              if (how === "files") expect(readFileSync(join(res.path, "w.txt"), "utf8")).toBe(n);
            },
          ).catch((err: Error) => {
            if (!(err.cause instanceof RuntrailErrorLike)) throw err; // the writer's own error passes through unchanged
            stats.writerErrors++;
          });
        },
      ),
    ));

  it("getArtifactsPath / getOutputsPath", () =>
    property(
      "paths",
      fc.asyncProperty(relPath, fc.boolean(), fc.constantFrom(undefined, true, false), fc.constantFrom(undefined, true, false), async (rel, outputs, isDir, ensurePath) => {
        const method = outputs ? "getOutputsPath" : "getArtifactsPath";
        await attempt(method, () => run[method](rel as string, { isDir, ensurePath }), (p) => expectInsideRun(p));
      }),
    ));

  it("the fuzzed run ends cleanly and is consistent", async () => {
    await run.end();
    const report = await checkRun(run.artifactsPath);
    expect(report.problems, report.problems.join("\n")).toEqual([]);
    expect(treeDiff(before, snapshotOutside())).toEqual([]);
    expect(readFileSync(join(parent, "canary", "deep", "keep.txt"), "utf8")).toBe("canary");
  });
});

/** A writer's own failure (not a RuntrailError), to tell it from runtrail's. */
class RuntrailErrorLike extends Error {}

import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { listRuns } from "../../src/index.js";
import { pyFloatRepr, pyTimestamp } from "../../src/core/events/pyformat.js";
import { useTmp } from "../helpers/tmp.js";
import { sweepUuid, writeSweepRun, type SweepRunSpec } from "../helpers/sweep.js";
import { bruteForceRuns, type OracleRun } from "./brute-force.js";
import { agePath, ageTree } from "../helpers/age.js";
import { noteRunChanged } from "../../src/core/read/change-log.js";

// ------------------------------------------------------------------ generated sweeps
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 4, 1);
const STATUSES = ["succeeded", "failed", "running", "stopped"] as const;
const LRS = [0.001, 0.01, 0.1];
const OPTS = ["adam", "sgd", "Adam"];
const WORDS = ["alpha", "beta", "Gamma", "delta"];
const TAGS = ["a", "b", "c"];
const level = (n: number): number => Math.round(n * 20) / 20; // few distinct values, so ties and equality happen

const runArb = fc.record({
  status: fc.constantFrom(...STATUSES),
  word: fc.constantFrom(...WORDS),
  noName: fc.boolean(),
  tags: fc.subarray(TAGS),
  day: fc.integer({ min: 0, max: 9 }),
  minute: fc.integer({ min: 0, max: 1439 }),
  durationS: fc.integer({ min: 1, max: 5000 }),
  lr: fc.option(fc.constantFrom(...LRS), { nil: undefined }),
  bs: fc.constantFrom(16, 32, "32"),
  opt: fc.option(fc.constantFrom(...OPTS), { nil: undefined }),
  loss: fc.array(fc.double({ min: 0, max: 1, noNaN: true }).map(level), { minLength: 1, maxLength: 6 }),
  acc: fc.option(fc.array(fc.double({ min: 0, max: 1, noNaN: true }).map(level), { minLength: 1, maxLength: 4 }), { nil: undefined }),
});
type GenRun = typeof runArb extends fc.Arbitrary<infer T> ? T : never;

function toSpec(r: GenRun, i: number, salt: number): SweepRunSpec {
  const inputs: Record<string, unknown> = { bs: r.bs };
  if (r.lr !== undefined) inputs.lr = r.lr;
  if (r.opt !== undefined) inputs.opt = r.opt;
  const metrics: Record<string, number[]> = { loss: r.loss };
  if (r.acc) metrics.acc = r.acc;
  return {
    uuid: sweepUuid(i, salt),
    name: r.noName ? undefined : `${r.word}-${i}`,
    project: "sweep",
    status: r.status,
    tags: r.tags,
    createdMs: T0 + r.day * DAY + r.minute * 60_000,
    durationS: r.durationS,
    inputs,
    metrics,
  };
}

// ------------------------------------------------------------------ generated queries, and what they mean
type Cmp = "<" | "<=" | ">" | ">=";
type Cond =
  | { k: "status"; neg: boolean; vals: string[] }
  | { k: "metric"; name: "loss" | "acc"; op: Cmp | "="; v: number; neg: boolean }
  | { k: "inputIn"; key: "lr" | "opt" | "bs"; vals: Array<string | number>; neg: boolean }
  | { k: "inputCmp"; key: "lr" | "bs"; op: Cmp; v: number; neg: boolean }
  | { k: "name"; like: "%%" | "_%" | "%_"; text: string; neg: boolean }
  | { k: "tags"; vals: string[]; neg: boolean }
  | { k: "created"; from: number; to: number; neg: boolean }
  | { k: "nil"; field: "metrics.acc" | "inputs.opt" | "inputs.lr" | "name"; neg: boolean };

const cmp = fc.constantFrom<Cmp>("<", "<=", ">", ">=");
const condArb: fc.Arbitrary<Cond> = fc.oneof(
  fc.record({ k: fc.constant("status" as const), neg: fc.boolean(), vals: fc.subarray([...STATUSES], { minLength: 1, maxLength: 3 }) }),
  fc.record({ k: fc.constant("metric" as const), name: fc.constantFrom("loss" as const, "acc" as const), op: fc.constantFrom<Cmp | "=">("<", "<=", ">", ">=", "="), v: fc.integer({ min: 0, max: 20 }).map((n) => n / 20), neg: fc.boolean() }),
  fc.record({ k: fc.constant("inputIn" as const), key: fc.constantFrom("lr" as const, "opt" as const, "bs" as const), vals: fc.subarray<string | number>([...LRS, ...OPTS, 16, 32], { minLength: 1, maxLength: 3 }), neg: fc.boolean() }),
  fc.record({ k: fc.constant("inputCmp" as const), key: fc.constantFrom("lr" as const, "bs" as const), op: cmp, v: fc.constantFrom(0.001, 0.01, 0.05, 16, 20, 32), neg: fc.boolean() }),
  fc.record({ k: fc.constant("name" as const), like: fc.constantFrom("%%" as const, "_%" as const, "%_" as const), text: fc.constantFrom("alpha", "GAMMA", "ta", "-1", "1", "e"), neg: fc.boolean() }),
  fc.record({ k: fc.constant("tags" as const), vals: fc.subarray(TAGS, { minLength: 1, maxLength: 2 }), neg: fc.boolean() }),
  fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 5 }), fc.boolean()).map(([d, len, neg]) => ({ k: "created" as const, from: d, to: d + len, neg })),
  fc.record({ k: fc.constant("nil" as const), field: fc.constantFrom("metrics.acc" as const, "inputs.opt" as const, "inputs.lr" as const, "name" as const), neg: fc.boolean() }),
);

const day = (d: number): string => new Date(T0 + d * DAY).toISOString().slice(0, 10);

function render(c: Cond): string {
  const n = c.neg ? "~" : "";
  switch (c.k) {
    case "status":
      return `status:${n}${c.vals.join("|")}`;
    case "metric":
      return `metrics.${c.name}:${n}${c.op === "=" ? "" : c.op}${c.v}`;
    case "inputIn":
      return `inputs.${c.key}:${n}${c.vals.map((v) => (typeof v === "string" ? v : String(v))).join("|")}`;
    case "inputCmp":
      return `inputs.${c.key}:${n}${c.op}${c.v}`;
    case "name":
      return `name:${n}${c.like === "_%" ? `${c.text}%` : c.like === "%_" ? `%${c.text}` : `%${c.text}%`}`;
    case "tags":
      return `tags:${n}${c.vals.join("|")}`;
    case "created":
      return `created_at:${n}${day(c.from)} .. ${day(c.to)}`;
    case "nil":
      return `${c.field}:${n}nil`;
  }
}

function compare(a: number, op: Cmp | "=", b: number): boolean {
  return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : op === ">=" ? a >= b : a === b;
}

/** What a condition means, written out plainly (Polyaxon: a negated comparison is the opposite comparison). */
function holds(c: Cond, r: OracleRun): boolean {
  switch (c.k) {
    case "status":
      return c.vals.includes(r.status!) !== c.neg;
    case "metric": {
      const m = r.metrics[c.name];
      if (!m) return c.neg && c.op === "=";
      return compare(m.value, c.op, c.v) !== c.neg;
    }
    case "inputIn": {
      const v = r.inputs[c.key];
      return (v !== undefined && c.vals.some((x) => x === v)) !== c.neg;
    }
    case "inputCmp": {
      const v = r.inputs[c.key];
      if (typeof v !== "number") return false;
      return compare(v, c.op, c.v) !== c.neg;
    }
    case "name": {
      if (r.name === null) return c.neg;
      const name = r.name.toLowerCase();
      const t = c.text.toLowerCase();
      const hit = c.like === "_%" ? name.startsWith(t) : c.like === "%_" ? name.endsWith(t) : name.includes(t);
      return hit !== c.neg;
    }
    case "tags":
      return c.vals.some((t) => r.tags.includes(t)) !== c.neg;
    case "created": {
      const inRange = r.createdMs !== undefined && r.createdMs >= T0 + c.from * DAY && r.createdMs <= T0 + c.to * DAY;
      return inRange !== c.neg;
    }
    case "nil": {
      const v = c.field === "metrics.acc" ? r.metrics.acc : c.field === "name" ? (r.name ?? undefined) : r.inputs[c.field.slice(7)];
      return (v === undefined) !== c.neg;
    }
  }
}

/** A query: groups of conditions joined by ",", the groups joined by " OR " (parenthesised when there are several). */
const queryArb = fc.array(fc.array(condArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 });
const renderQuery = (groups: Cond[][]): string =>
  groups.length === 1 ? groups[0]!.map(render).join(", ") : groups.map((g) => `(${g.map(render).join(", ")})`).join(" OR ");
const queryHolds = (groups: Cond[][], r: OracleRun): boolean => groups.some((g) => g.every((c) => holds(c, r)));

// ------------------------------------------------------------------ generated sorts, and what they mean
const SORT_FIELDS = ["metrics.loss", "metrics.acc", "inputs.lr", "inputs.bs", "inputs.opt", "created_at", "name", "duration", "status", "uuid"] as const;
const sortArb = fc.array(fc.tuple(fc.constantFrom(...SORT_FIELDS), fc.boolean()), { minLength: 0, maxLength: 3 });

function sortValue(r: OracleRun, f: (typeof SORT_FIELDS)[number]): unknown {
  if (f.startsWith("metrics.")) return r.metrics[f.slice(8)]?.value;
  if (f.startsWith("inputs.")) return r.inputs[f.slice(7)];
  if (f === "created_at") return r.createdMs;
  if (f === "name") return r.name ?? undefined;
  if (f === "duration") return r.duration ?? undefined;
  if (f === "status") return r.status ?? undefined;
  return r.uuid;
}

function oracleOrder(keys: Array<[(typeof SORT_FIELDS)[number], boolean]>): (a: OracleRun, b: OracleRun) => number {
  const all: Array<[(typeof SORT_FIELDS)[number], boolean]> = keys.length ? keys : [["created_at", true]];
  const typeRank = (v: unknown): number => (typeof v === "number" ? 0 : typeof v === "string" ? 1 : 2);
  return (a, b) => {
    for (const [f, desc] of all) {
      const va = sortValue(a, f);
      const vb = sortValue(b, f);
      if (va === undefined && vb === undefined) continue;
      if (va === undefined) return 1; // missing values last, either direction
      if (vb === undefined) return -1;
      let d = typeRank(va) - typeRank(vb);
      if (d === 0) d = typeof va === "number" ? va - (vb as number) : (va as string) < (vb as string) ? -1 : (va as string) > (vb as string) ? 1 : 0;
      if (d !== 0) return desc ? -d : d;
    }
    return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
  };
}

const renderSort = (keys: Array<[string, boolean]>): string | undefined => (keys.length ? keys.map(([f, d]) => `${d ? "-" : ""}${f}`).join(", ") : undefined);

// ------------------------------------------------------------------ the property
const SEED = Number(process.env.RUNTRAIL_LIST_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.RUNTRAIL_LIST_RUNS ?? 40);

/** What both sides must agree on, in order. */
function view(r: OracleRun | Awaited<ReturnType<typeof listRuns>>[number]): unknown {
  return { uuid: r.uuid, name: r.name, status: r.status, tags: r.tags, inputs: r.inputs, metrics: r.metrics };
}

interface Mutation {
  edit: number[];
  rewrite: number[];
  grow: number[];
  remove: number[];
  copyIn: number;
  dropIndex: boolean;
}
const mutationArb = fc.record({
  edit: fc.array(fc.nat(), { maxLength: 3 }),
  rewrite: fc.array(fc.nat(), { maxLength: 3 }),
  grow: fc.array(fc.nat(), { maxLength: 3 }),
  remove: fc.array(fc.nat(), { maxLength: 2 }),
  copyIn: fc.integer({ min: 0, max: 3 }),
  dropIndex: fc.boolean(),
});

describe("listRuns agrees with a brute-force read of the run folders", () => {
  const tmp = useTmp();

  it("for generated sweeps, queries and sorts, before and after the runs change under the index", async () => {
    console.log(`listRuns property: seed ${SEED}, ${RUNS} sweeps (replay with RUNTRAIL_LIST_SEED=${SEED})`);
    let nonEmpty = 0;
    let checks = 0;
    let grown = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(runArb, { minLength: 5, maxLength: 30 }),
        fc.array(runArb, { minLength: 3, maxLength: 3 }),
        fc.array(fc.tuple(queryArb, sortArb, fc.nat({ max: 2 }), fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined })), { minLength: 2, maxLength: 2 }),
        mutationArb,
        async (gen, extra, asks, mut: Mutation) => {
          const base = tmp();
          const runsRoot = join(base, "runs");
          const specs = gen.map((g, i) => toSpec(g, i, 1));
          for (const s of specs) writeSweepRun(runsRoot, s);
          ageTree(runsRoot);
          const check = async (groups: Cond[][], keys: Array<[(typeof SORT_FIELDS)[number], boolean]>, offset: number, limit: number | undefined): Promise<void> => {
            const query = renderQuery(groups);
            const sort = renderSort(keys);
            const got = await listRuns(base, { query, sort, offset, limit });
            const all = bruteForceRuns(runsRoot).filter((r) => queryHolds(groups, r)).sort(oracleOrder(keys));
            const want = all.slice(offset, limit === undefined ? undefined : offset + limit);
            expect(got.map(view), `query ${JSON.stringify(query)} sort ${JSON.stringify(sort)} offset ${offset} limit ${limit}`).toEqual(want.map(view));
            checks++;
            if (want.length) nonEmpty++;
          };
          const [first, second] = asks as [(typeof asks)[number], (typeof asks)[number]];
          await check(...first); // no index yet: built now
          agePath(runsRoot); // as a while later: building the index made .runtrail/ in the root
          await check(...first); // from the index, every run folder checked (the root folder changed)
          await check(...first); // from the index, trusted
          expect(existsSync(join(runsRoot, ".runtrail", "index"))).toBe(true);

          // The runs change behind the index's back.
          for (const i of mut.edit) {
            const s = specs[i % specs.length]!;
            s.status = s.status === "succeeded" ? "failed" : "succeeded";
            s.inputs = { ...s.inputs, lr: 0.05 };
            s.metrics = { loss: [0.5, 0.25] };
            rmSync(join(runsRoot, s.uuid), { recursive: true, force: true });
            ageTree(writeSweepRun(runsRoot, s));
          }
          // Rewritten in place, as runtrail's writers do it (they note the run in the change log):
          // seen without a check of every folder.
          for (const i of mut.rewrite) {
            const s = specs[i % specs.length]!;
            if (!existsSync(join(runsRoot, s.uuid))) continue;
            s.status = s.status === "failed" ? "stopped" : "failed";
            s.inputs = { ...s.inputs, opt: "Adam" };
            s.metrics = { ...s.metrics, loss: [0.75] };
            noteRunChanged(ageTree(writeSweepRun(runsRoot, s)));
          }
          for (const i of mut.grow) {
            const s = specs[i % specs.length]!;
            const file = join(runsRoot, s.uuid, "events", "metric", "loss.plx");
            if (s.status !== "running" || !existsSync(file)) continue;
            const n = readFileSync(file, "utf8").split("\n").length - 1;
            appendFileSync(file, `\n${n}|${pyTimestamp(T0 + n * 1000)}|${pyFloatRepr(0.35)}`);
            agePath(file); // only its size and ctime say it changed
            grown++;
          }
          for (const i of mut.remove) rmSync(join(runsRoot, specs[i % specs.length]!.uuid), { recursive: true, force: true });
          const elsewhere = join(base, "elsewhere");
          for (let j = 0; j < mut.copyIn; j++) {
            const s = toSpec(extra[j]!, 1000 + j, 2);
            writeSweepRun(elsewhere, s);
            ageTree(elsewhere);
            cpSync(join(elsewhere, s.uuid), join(runsRoot, s.uuid), { recursive: true, preserveTimestamps: true });
          }
          if (mut.dropIndex) rmSync(join(runsRoot, ".runtrail"), { recursive: true, force: true });
          await check(...second);
          // A journal line cut by a killed lister is skipped.
          appendFileSync(join(runsRoot, ".runtrail", "index.journal"), '{"v":2,"r":["');
          await check(...second);
          // An index that is not JSON is rebuilt, not trusted.
          writeFileSync(join(runsRoot, ".runtrail", "index"), "{ not json");
          await check(...first);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`listRuns property: ${checks} listings compared, ${nonEmpty} of them non-empty; ${grown} live metric files grown`);
    // A generator that made every query match nothing would prove nothing.
    expect(nonEmpty).toBeGreaterThan(checks / 4);
  }, 600_000);
});

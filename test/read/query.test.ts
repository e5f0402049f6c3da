import { describe, expect, it } from "vitest";
import { InvalidQueryError } from "../../src/index.js";
import { matchQuery, parseQuery } from "../../src/core/read/query.js";
import { comparator, parseSort } from "../../src/core/read/sort.js";
import type { RunSummary } from "../../src/core/read/summary.js";

const run = (over: Partial<RunSummary>): RunSummary => ({
  uuid: "0123456789abcdef0123456789abcdef",
  name: "Sweep-Alpha",
  project: "mnist",
  status: "succeeded",
  tags: ["a", "b"],
  createdAt: "2024-05-01T12:30:45.000000+00:00",
  startedAt: "2024-05-01T12:30:45.000000+00:00",
  finishedAt: "2024-05-01T13:00:00.000000+00:00",
  duration: 1755,
  inputs: { lr: 0.01, opt: "adam", flag: true },
  outputs: { score: 0.9 },
  metrics: { loss: { step: 9, value: 0.05 } },
  path: "/x",
  ...over,
});
const R = run({});
const q = (query: string, r: RunSummary = R): boolean => matchQuery(parseQuery(query), r);

describe("Polyaxon's query language", () => {
  it("evaluates each operation as polyaxon/_pql does", () => {
    expect(q("status:succeeded")).toBe(true);
    expect(q("status:~succeeded")).toBe(false);
    expect(q("status:failed|succeeded")).toBe(true);
    expect(q("status:~failed|succeeded")).toBe(false);
    expect(q("name:%alpha%")).toBe(true); // case-insensitive like
    expect(q("name:sweep%")).toBe(true);
    expect(q("name:%beta")).toBe(false);
    expect(q("name:Sweep-Alpha")).toBe(true);
    expect(q("name:sweep-alpha")).toBe(false); // equality is exact
    expect(q("uuid:0123%")).toBe(true);
    expect(q("tags:a")).toBe(true);
    expect(q("tags:c|b")).toBe(true);
    expect(q("tags:~c")).toBe(true);
    expect(q("metrics.loss:<0.1")).toBe(true);
    expect(q("metrics.loss:=<0.05")).toBe(true);
    expect(q("metrics.loss:~<0.1")).toBe(false);
    expect(q("metrics.acc:~<0.1")).toBe(false); // a negated comparison is the opposite comparison: no value, no match
    expect(q("metrics.acc:~0.1")).toBe(true); // negated equality matches a run without the metric
    expect(q("metrics.acc:nil, metrics.loss:~nil")).toBe(true);
    expect(q("inputs.lr:0.001|0.01")).toBe(true);
    expect(q("inputs.lr:>=0.01, inputs.lr:<0.1")).toBe(true);
    expect(q("inputs.opt:adam, inputs.flag:true, params.lr:0.01, in.opt:adam")).toBe(true);
    expect(q("inputs.opt:>a")).toBe(true); // text compares with text
    expect(q("inputs.opt:>1")).toBe(false); // …and never with a number
    expect(q("outputs.score:>0.5, out.score:0.9")).toBe(true);
    expect(q("duration:>1000, duration:<=1755")).toBe(true);
    expect(q("created_at:2024-05-01")).toBe(true); // that UTC day
    expect(q("created_at:2024-05-01 12:30")).toBe(true); // that minute
    expect(q("created_at:2024-05-01 12:31")).toBe(false);
    expect(q("created_at:2024-04-01 .. 2024-05-02")).toBe(true);
    expect(q("created_at:~2024-04-01..2024-05-02")).toBe(false);
    expect(q("created_at:>2024-05-01T12:00:00+02:00")).toBe(true);
    expect(q("finished_at:<=2024-05-01 13:00")).toBe(true);
    expect(q("created_at:last_month")).toBe(false);
    expect(q("created_at:last_month", run({ createdAt: new Date().toISOString() }))).toBe(true);
    expect(q("project:_any_")).toBe(true);
    expect(q("status:failed OR status:succeeded")).toBe(true);
    expect(q("status:failed | name:%alpha%")).toBe(true); // a spaced | before a condition is OR
    expect(q("(status:failed, name:x) OR (metrics.loss:<1 AND tags:a)")).toBe(true);
    expect(q("status:failed or status:succeeded")).toBe(true);
  });

  it("refuses what Polyaxon refuses, saying where and what the field takes", () => {
    const bad: Array<[string, RegExp]> = [
      ["metrics.loss:0.1|0.2", /`\|` is not allowed here; metrics.loss takes a number/],
      ["created_at:2024-01-01|2024-02-01", /`\|` is not allowed/],
      ["status:a..b", /`\.\.` is not allowed here; status takes value, a\|b, nil/],
      ["status:<3", /`<` is not allowed here/],
      ["name:>a", /`>` is not allowed here; name takes value, a\|b, %part%/],
      ["metrics.loss:abc", /"abc" is not a number/],
      ["created_at:yesterday", /is not a date or time/],
      ["created_at:2024-01-01..2024-02-01..2024-03-01", /exactly two ends/],
      ["foo:1", /unknown field "foo"; fields are uuid, name, project/],
      ["metrics:1", /field "metrics" needs a key/],
      ["status:", /has no operation/],
      ["status:a,", /column 10: a condition field:operation expected/],
      ["(status:a", /column 10: "\)" expected/],
      ["status:a)", /unexpected/],
      ["tags:a|", /`\|` needs at least two values/],
      ["status:~", /the operation is empty/],
    ];
    for (const [query, message] of bad) {
      expect(() => parseQuery(query), query).toThrow(InvalidQueryError);
      expect(() => parseQuery(query), query).toThrow(message);
    }
  });

  it("sorts as Polyaxon's ordering: -field descending, missing values last either way, ties on the uuid", () => {
    const runs = [
      run({ uuid: "c", metrics: {} }),
      run({ uuid: "b", metrics: { loss: { step: 1, value: 0.2 } } }),
      run({ uuid: "a", metrics: { loss: { step: 1, value: 0.2 } } }),
      run({ uuid: "d", metrics: { loss: { step: 1, value: 0.1 } } }),
      run({ uuid: "e", metrics: { loss: { step: 1, value: Number.NaN } } }),
    ];
    expect([...runs].sort(comparator(parseSort("metrics.loss"))).map((r) => r.uuid)).toEqual(["d", "a", "b", "c", "e"]);
    expect([...runs].sort(comparator(parseSort("-metrics.loss"))).map((r) => r.uuid)).toEqual(["a", "b", "d", "c", "e"]);
    expect([...runs].sort(comparator(parseSort("-metrics.loss, -uuid"))).map((r) => r.uuid)).toEqual(["b", "a", "d", "e", "c"]);
    expect(() => parseSort("metrics.loss,,name")).toThrow(/term 2: empty term/);
    expect(() => parseSort("-tags")).toThrow(/cannot be sorted by tags/);
    expect(() => parseSort("-bogus")).toThrow(/unknown field "bogus"/);
  });
});

import { describe, expect, it } from "vitest";
import { compactJson, jsonFloat, parsePyTimestamp, pyFloatRepr, pyIsoTimestamp, pyJsonString, pyTimestamp } from "../../src/core/events/pyformat.js";

describe("pyFloatRepr matches Python repr(float)", () => {
  const cases: Array<[number, string]> = [
    [0.1, "0.1"],
    [1, "1.0"],
    [3, "3.0"],
    [-2, "-2.0"],
    [0, "0.0"],
    [-0, "-0.0"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [0.000025, "2.5e-05"],
    [1.5e-10, "1.5e-10"],
    [2500000000000000, "2500000000000000.0"],
    [1e16, "1e+16"],
    [1.5e16, "1.5e+16"],
    [1e100, "1e+100"],
    [123456.789, "123456.789"],
    [1 / 3, "0.3333333333333333"],
    [Number.NaN, "nan"],
    [Number.POSITIVE_INFINITY, "inf"],
    [Number.NEGATIVE_INFINITY, "-inf"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
  ];
  it.each(cases)("%s → %s", (v, s) => expect(pyFloatRepr(v)).toBe(s));
});

describe("jsonFloat matches pydantic/orjson", () => {
  const cases: Array<[number, string]> = [
    [1, "1.0"],
    [0.5, "0.5"],
    [0.00001, "0.00001"],
    [0.000001, "1e-6"],
    [1e16, "1e+16"],
    [1.5e16, "1.5e+16"],
    [1e15, "1000000000000000.0"],
    [-0, "-0.0"],
    [Number.NaN, "null"],
  ];
  it.each(cases)("%s → %s", (v, s) => expect(jsonFloat(v)).toBe(s));
});

describe("timestamps", () => {
  it("writes Python str(datetime) with six fraction digits and +00:00", () => {
    const ms = Date.UTC(2024, 4, 1, 12, 34, 56, 123);
    expect(pyTimestamp(ms)).toBe("2024-05-01 12:34:56.123000+00:00");
    expect(pyTimestamp(Date.UTC(2024, 4, 1, 12, 34, 56, 0))).toBe("2024-05-01 12:34:56.000000+00:00");
    expect(pyIsoTimestamp(ms)).toBe("2024-05-01T12:34:56.123000+00:00");
  });
  it("parses every shape Polyaxon's writers produce", () => {
    const ms = Date.UTC(2024, 4, 1, 12, 34, 56, 123);
    expect(parsePyTimestamp("2024-05-01 12:34:56.123456+00:00")).toBe(ms);
    expect(parsePyTimestamp("2024-05-01T12:34:56.123Z")).toBe(ms);
    expect(parsePyTimestamp("2024-05-01 12:34:56+00:00")).toBe(ms - 123);
    expect(parsePyTimestamp("2018-12-11T10:24:57")).toBe(Date.UTC(2018, 11, 11, 10, 24, 57));
    expect(parsePyTimestamp("2024-05-01 14:34:56.123+02:00")).toBe(ms);
    expect(parsePyTimestamp("yesterday")).toBeNaN();
  });
});

describe("JSON", () => {
  it("pyJsonString escapes like json.dumps(ensure_ascii=True)", () => {
    expect(pyJsonString("héllo")).toBe('"h\\u00e9llo"');
    expect(pyJsonString("😀")).toBe('"\\ud83d\\ude00"');
    expect(pyJsonString("a\u007fb\n\t\"")).toBe('"a\\u007fb\\n\\t\\""');
  });
  it("compactJson keeps insertion order, drops undefined, keeps null, formats floats", () => {
    expect(compactJson({ b: 1, a: 0.5, u: undefined, n: null, l: [1, 2.5, 1e-7], s: "é" })).toBe(
      '{"b":1,"a":0.5,"n":null,"l":[1,2.5,1e-7],"s":"é"}',
    );
  });
});

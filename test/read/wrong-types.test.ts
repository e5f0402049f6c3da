import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listRuns } from "../../src/index.js";
import { runLs } from "../../src/cli/ls.js";
import { runReport } from "../../src/cli/report.js";
import { runShow } from "../../src/cli/show.js";
import { createDashboardApp } from "../../src/ui/server.js";
import { useTmp } from "../helpers/tmp.js";
import { sweepUuid, writeSweepRun } from "../helpers/sweep.js";

// Issue #17 defect 5: every field of run.plx.json that a reader touches, holding every JSON type it must not have.
const FIELDS: Record<string, "string" | "time" | "tags" | "number" | "object"> = {
  uuid: "string",
  name: "string",
  project: "string",
  status: "string",
  tags: "tags",
  created_at: "time",
  started_at: "time",
  finished_at: "time",
  duration: "number",
  inputs: "object",
  outputs: "object",
};
const WRONG: Record<string, unknown> = { number: 42, text: "not right", boolean: true, array: [1, { a: 2 }], object: { a: { b: 1 } } };
const fits = (kind: string, wrong: string): boolean =>
  (wrong === "text" && kind === "string") || (wrong === "number" && kind === "number") || (wrong === "object" && kind === "object");

interface Case {
  id: string;
  label: string;
  field?: string;
}

function buildCases(runsRoot: string): Case[] {
  const cases: Case[] = [];
  let i = 0;
  const add = (label: string, edit: (meta: Record<string, unknown>) => unknown, field?: string, lineage?: string): void => {
    const dir = writeSweepRun(runsRoot, { uuid: sweepUuid(i++), name: `n${i}`, project: "p", status: "succeeded", createdMs: Date.UTC(2024, 0, 1), inputs: { lr: 0.1 }, metrics: { loss: [0.5, 0.25] } });
    const file = join(dir, "run.plx.json");
    writeFileSync(file, JSON.stringify(edit(JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)));
    if (lineage !== undefined) writeFileSync(join(dir, "lineages.plx.json"), lineage);
    cases.push({ id: sweepUuid(i - 1), label, field });
  };
  for (const [field, kind] of Object.entries(FIELDS)) {
    for (const [wrong, value] of Object.entries(WRONG)) {
      if (fits(kind, wrong)) continue;
      add(`${field} = ${wrong}`, (m) => ({ ...m, [field]: value }), field);
    }
  }
  for (const doc of [[], 5, "x", null, true]) add(`run.plx.json = ${JSON.stringify(doc)}`, () => doc);
  add("lineages.plx.json = {}", (m) => m, undefined, "{}");
  add("lineage records of wrong types", (m) => m, undefined, JSON.stringify([5, "x", { name: 42, kind: { a: 1 }, path: [1], is_input: "yes", summary: "x" }, { name: "ok", kind: "file", path: "p", summary: { framework: { x: 1 }, step: "s", best: 3 } }]));
  add("lineages.plx.json not JSON", (m) => m, undefined, "{ nope");
  return cases;
}

describe("metadata of the wrong JSON type (issue #17, defect 5)", () => {
  const tmp = useTmp();

  it("is read as absent and reported as damage by listRuns, ls, show, report and the dashboard", async () => {
    const base = tmp();
    const runsRoot = join(base, "runs");
    const cases = buildCases(runsRoot);
    console.log(`wrong-type cases: ${cases.length} runs`);

    const runs = await listRuns(base, { sort: "-metrics.loss, name, status, created_at, duration, inputs.lr" });
    expect(runs).toHaveLength(cases.length);
    for (const c of cases.filter((x) => x.field)) {
      const r = runs.find((x) => x.path.endsWith(c.id))!;
      expect(r.damaged?.join(" "), c.label).toContain(`${c.field}:`);
      if (c.field === "uuid") expect(r.uuid).toBe(c.id);
      expect(r.metrics.loss, c.label).toEqual({ step: 1, value: 0.25 });
    }
    await listRuns(base, { query: "status:succeeded|nil, name:%n%, tags:a, created_at:>2020-01-01, duration:>0, inputs.lr:0.1, project:p" });

    const lines: string[] = [];
    expect(await runLs([base], (s) => lines.push(s))).toBe(0);
    expect(await runLs([base, "--json"], (s) => lines.push(s))).toBe(0);
    expect(await runLs([base, "-q", "status:~nil", "-s", "-duration"], (s) => lines.push(s))).toBe(0);
    const app = createDashboardApp(base);
    const list = await app.handle("GET", "/api/runs?sort=name");
    expect(list.status).toBe(200);
    for (const c of cases) {
      const out: string[] = [];
      expect(await runShow([c.id, "--root", base], (s) => out.push(s)), c.label).toBe(0);
      expect(await runShow([c.id, "--root", base, "--json"], (s) => out.push(s)), c.label).toBe(0);
      lines.push(...out);
      expect((await app.handle("GET", `/api/runs/${c.id}`)).status, c.label).toBe(200);
      const report = join(base, `${c.id}.html`);
      expect(await runReport([c.id, "--root", base, "-o", report], () => {}), c.label).toBe(0);
      expect(readFileSync(report, "utf8")).toContain("<html");
    }
    for (const l of lines.join("\n").split("\n")) expect(l).not.toContain("[object Object]");
  }, 300_000);
});

// `runtrail show`, the dashboard's API and a checkpoint's `best` rank a metric the same way: the
// one rule (src/core/read/direction.ts) — a policy's recorded mode, else the name's default.
import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runShow } from "../../src/cli/show.js";
import { CheckpointManager } from "../../src/core/checkpoints.js";
import { defaultDirection, metricDirection } from "../../src/core/read/direction.js";
import { init, loadRun, type Run } from "../../src/index.js";
import { createDashboardApp } from "../../src/ui/server.js";

/**
 * Values that peak and dip at different steps, so "best" is a different step for min and max.
 * `margin` is a name the default rule reads as lower-is-better; its policy says `mode: "max"`.
 */
const SERIES: Record<string, number[]> = {
  auc: [0.61, 0.83, 0.71, 0.66],
  f1: [0.4, 0.38, 0.52, 0.45],
  loss: [0.9, 0.7, 0.75, 0.8],
  val_acc: [0.55, 0.52, 0.5, 0.81],
  margin: [1.5, 0.2, 2.5, 0.9],
};
const POLICY_MODE: Record<string, "max" | undefined> = { margin: "max" };
const EXPECTED: Record<string, "min" | "max"> = { auc: "max", f1: "max", loss: "min", val_acc: "max", margin: "max" };

function bestStepOf(values: number[], mode: "min" | "max"): number {
  let best = 0;
  values.forEach((v, i) => {
    if (mode === "min" ? v < values[best]! : v > values[best]!) best = i;
  });
  return best;
}

describe("one direction for a metric everywhere", () => {
  let run: Run;
  let base: string;
  let root: string;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "runtrail-direction-"));
    root = join(base, "plx");
    run = await init({ offlineRoot: root, handleExit: false });
    const managers = Object.keys(SERIES).map(
      (m) => new CheckpointManager(run, { name: `by-${m}`, framework: "custom", monitor: m, ...(POLICY_MODE[m] && { mode: POLICY_MODE[m] }) }),
    );
    for (let step = 0; step < 4; step++) {
      const metrics = Object.fromEntries(Object.entries(SERIES).map(([m, vs]) => [m, vs[step]!]));
      run.logMetrics(metrics, { step });
      for (const mgr of managers) await mgr.save(step, metrics, (dir) => writeFile(join(dir, "weights.json"), JSON.stringify({ step })));
    }
    await run.end();
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it("the default rule alone would read `margin` as lower-is-better (so its recorded mode matters)", () => {
    expect(defaultDirection("margin")).toBe("min");
    expect(metricDirection("margin", "max")).toBe("max");
  });

  it("a checkpoint's best records the policy's direction and picks the step it implies", async () => {
    const { lineage } = await loadRun(run.artifactsPath);
    for (const [m, expected] of Object.entries(EXPECTED)) {
      const best = lineage.find((r) => r.path === `events/model/by-${m}.plx`)?.summary?.best as { step: number; mode: string; monitor: string };
      expect(best, m).toMatchObject({ monitor: m, mode: expected, step: bestStepOf(SERIES[m]!, expected) });
    }
  });

  it("`runtrail show --json` and the dashboard's metric API agree with it", async () => {
    let printed = "";
    expect(await runShow([run.artifactsPath, "--json"], (s) => (printed += s))).toBe(0);
    const shown = JSON.parse(printed) as { metrics: Array<{ name: string; mode: string; bestStep: number }>; models: Array<{ name: string; best: { step: number; mode: string } }> };
    const app = createDashboardApp(root);
    for (const [m, expected] of Object.entries(EXPECTED)) {
      const bestStep = bestStepOf(SERIES[m]!, expected);
      expect(shown.metrics.find((x) => x.name === m), `show: ${m}`).toMatchObject({ mode: expected, bestStep });
      expect(shown.models.find((x) => x.name === `by-${m}`)?.best, `show model by-${m}`).toMatchObject({ step: bestStep, mode: expected });
      const res = await app.handle("GET", `/api/runs/${run.uuid}/metrics/${m}`);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString("utf8")), `dashboard: ${m}`).toMatchObject({ direction: expected, best: { step: bestStep, value: SERIES[m]![bestStep] } });
      const modelsBody = (await app.handle("GET", `/api/runs/${run.uuid}/models/by-${m}`)).body.toString("utf8");
      expect(modelsBody, "the page gets run-relative paths only").not.toContain(base);
      const models = JSON.parse(modelsBody) as Array<{ best: { step: number; mode: string } }>;
      expect(models[0]!.best, `dashboard model by-${m}`).toMatchObject({ step: bestStep, mode: expected });
    }
  });
});

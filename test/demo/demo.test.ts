import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRun, readEvents } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";

describe("runtrail demo (the README's main job)", () => {
  const tmp = useTmp();

  it("trains, checkpoints with retention, exports to ONNX and leaves a complete run", async () => {
    const root = tmp();
    const out = execFileSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "demo", "--root", root, "--epochs", "4"], {
      encoding: "utf8",
      env: { ...process.env, POLYAXON_OFFLINE_ROOT: "" },
    });
    expect(out).toMatch(/epoch {2}4\/4/);
    const [uuid] = readdirSync(join(root, "runs"));
    const runPath = join(root, "runs", uuid!);
    expect(out).toContain(runPath);

    const run = await loadRun(runPath);
    expect(run.status).toBe("succeeded");
    const epochLoss = await readEvents(runPath, "metric", "val_loss");
    expect(epochLoss.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    const batches = await readEvents(runPath, "metric", "batch_loss");
    expect(batches.length).toBeGreaterThan(4 * 10); // 820 training rows / 32 per batch, per epoch
    const first = batches[0]!.step!;
    expect(batches.map((r) => r.step)).toEqual(batches.map((_, i) => first + i)); // one global step, never restarting

    const model = run.lineage.find((r) => r.path === "events/model/model.plx")!;
    const summary = model.summary as { framework: string; versions: number[]; best: { step: number }; latest: { step: number } };
    expect(summary.framework).toBe("tfjs");
    expect(summary.latest.step).toBe(3);
    expect(summary.versions).toContain(3);
    expect(summary.versions).toContain(summary.best.step);
    expect(summary.versions.length).toBeLessThanOrEqual(4);
    for (const step of summary.versions) expect(existsSync(join(runPath, `assets/model/model_${step}/model.json`))).toBe(true);

    const onnx = run.lineage.find((r) => r.path === "events/model/circle_onnx.plx")!;
    expect(onnx.summary).toMatchObject({ framework: "onnx" });
    const [row] = await readEvents(runPath, "model", "circle_onnx");
    expect(row!.value.path).toBe(`assets/model/circle_onnx_${summary.best.step}.onnx`);
    expect(row!.value.spec).toMatchObject({ sourceCheckpoint: { name: "model", step: summary.best.step, framework: "tfjs" } });
    expect(existsSync(join(runPath, row!.value.path))).toBe(true);
    expect((await readEvents(runPath, "curve", "test_roc"))[0]!.value.kind).toBe("roc");
  });
});

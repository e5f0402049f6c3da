import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadRun, readEvents } from "../../src/index.js";
import { useTmp } from "../helpers/tmp.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

describe("examples/tfjs-cnn.ts", () => {
  const tmp = useTmp();

  it(
    "trains a CNN with the callback, restores its best checkpoint and exports it to ONNX with parity",
    { timeout: 900_000 },
    async () => {
      const root = tmp();
      const res = spawnSync(process.execPath, ["--import", "tsx", "examples/tfjs-cnn.ts", "--root", root, "--epochs", "4"], { cwd: repo, encoding: "utf8" });
      const [uuid] = readdirSync(join(root, "runs"));
      const runPath = join(root, "runs", uuid!);

      // The training part, whatever the export does.
      const valLoss = await readEvents(runPath, "metric", "val_loss");
      expect(valLoss.map((r) => r.step)).toEqual([0, 1, 2, 3]);
      const bestStep = valLoss.reduce((b, r) => (r.value < b.value ? r : b)).step;
      expect(res.stdout).toContain(`best checkpoint: step ${bestStep},`);
      const { lineage, meta } = await loadRun(runPath);
      const stream = lineage.find((r) => r.kind === "model" && r.path === "events/model/model.plx");
      expect(stream?.summary).toMatchObject({ framework: "tfjs", best: { step: bestStep }, restored: { step: bestStep, monitor: "val_loss" } });
      expect(existsSync(join(runPath, "assets", "model", `model_${bestStep}`, "weights.bin"))).toBe(true);
      expect(meta.status).toBe("succeeded");

      const onnx = lineage.find((r) => r.kind === "model" && r.path === "events/model/bars-cnn-onnx.plx");
      expect(res.status, res.stderr).toBe(0);
      const m = /parity: max \|onnx - tfjs\| = (\S+) /.exec(res.stdout);
      expect(m, res.stdout).not.toBeNull();
      const diff = Number(m![1]);
      console.log(`tfjs-cnn example: max |onnx - tfjs| = ${diff}`);
      expect(diff).toBeLessThanOrEqual(1e-4);
      expect(onnx?.summary).toMatchObject({ framework: "onnx", latest: { summary: { sourceCheckpoint: { name: "model", step: bestStep, framework: "tfjs" } } } });
    },
  );
});

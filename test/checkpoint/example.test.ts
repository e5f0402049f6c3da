import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { readEvents } from "../../src/index.js";
import { modelRecord, removeTemp, stagingEntries, tempRoot, versionsOnDisk } from "../fixtures/checkpoint-run.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeTemp));

function example(...args: string[]): string {
  const res = spawnSync(process.execPath, ["--import", "tsx", "examples/checkpoint-loop.ts", ...args], { cwd: repo, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`the example failed (${res.status}):\n${res.stderr}`);
  return res.stdout;
}

describe("examples/checkpoint-loop.ts", () => {
  it("trains, checkpoints, and resumes from its latest checkpoint", { timeout: 60_000 }, async () => {
    const root = tempRoot();
    roots.push(root);
    expect(example("--root", root, "--steps", "100")).toMatch(/checkpoints on disk: .*100/);
    const [uuid] = readdirSync(join(root, "runs"));
    const runPath = join(root, "runs", uuid!);
    expect(versionsOnDisk(runPath, "logreg")).toContain(100);

    const out = example("--root", root, "--resume", uuid!, "--steps", "150");
    expect(out).toContain(`resumed run ${uuid} from step 100`);
    expect(versionsOnDisk(runPath, "logreg")).toContain(150);
    expect(stagingEntries(runPath)).toEqual([]);
    const rec = await modelRecord(runPath, "logreg");
    expect(rec).toMatchObject({ framework: "plain-ts", latest: { step: 150 } });
    expect(rec?.versions).toEqual(versionsOnDisk(runPath, "logreg"));
    const val = await readEvents(runPath, "metric", "val_loss");
    expect(val.map((r) => r.step)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    // The example's files: weights.json (weights + bias) and weights.bin agree.
    const { readFile } = await import("node:fs/promises");
    const dir = join(runPath, "assets", "model", "logreg_150");
    const json = JSON.parse(await readFile(join(dir, "weights.json"), "utf8")) as { step: number; weights: number[]; bias: number };
    const bin = await readFile(join(dir, "weights.bin"));
    expect(Array.from(new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)))).toEqual([...json.weights, json.bias]);
    expect(json.step).toBe(150);
  });
});

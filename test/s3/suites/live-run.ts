import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findCheckpoint } from "../../../src/adapters/tfjs.js";
import { CheckpointManager } from "../../../src/core/checkpoints.js";
import { readVersions } from "../../../src/core/read/versions.js";
import { describe, expect, it } from "vitest";
import { init, loadRun, readEvents } from "../../../src/index.js";
import type { S3Store } from "../../../src/store/index.js";
import { listKeys, type S3TestEnv, useBucket } from "../../helpers/s3-env.js";

/** `init({ store })`: a live run mirrored in the background, then read back through `s3://`. */
export function liveRunSuite(env: S3TestEnv): void {
  describe("a run created with init({ store })", () => {
    let store: S3Store;
    let bucket: string;
    let root: string;
    useBucket(env, "live", (fx) => ({ store, bucket, root } = fx));

    it("is synced while it runs, synced once more at end(), and readable from s3://", async () => {
      const storeOptions = { endpoint: env.endpoint, forcePathStyle: true, region: env.region, credentials: env };
      const run = await init({ offlineRoot: root, store: `s3://${bucket}/team`, storeOptions, syncIntervalMs: 100, flushIntervalMs: 50, handleExit: false });
      expect(run.storeUri).toBe(`s3://${bucket}/team/${run.uuid}`);
      for (let step = 0; step < 20; step++) run.logMetric("loss", 1 / (step + 1), { step });
      await run.flush();
      // The background round sends the live run before it ends (bounded wait, no timing assertion).
      let keys: string[] = [];
      for (let i = 0; i < 100 && !keys.some((k) => k.endsWith("events/metric/loss.plx")); i++) {
        await new Promise((r) => setTimeout(r, 100));
        keys = await listKeys(store, bucket, `team/${run.uuid}/`);
      }
      expect(keys).toContain(`team/${run.uuid}/events/metric/loss.plx`);

      run.logMetric("loss", 0.01, { step: 20 });
      await run.end();
      const remote = await loadRun(run.storeUri!, { s3: storeOptions });
      expect(remote.uuid).toBe(run.uuid);
      expect(remote.status).toBe("succeeded");
      expect(remote.lineage.find((r) => r.name === "loss")).toBeDefined();
      const rows = await readEvents(run.storeUri!, "metric", "loss");
      expect(rows).toEqual(await readEvents(run.artifactsPath, "metric", "loss"));
      expect(rows.at(-1)!.step).toBe(20);

      // The command line reads the same store (endpoint and keys from the environment).
      const cli = (...args: string[]): string =>
        execFileSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, AWS_ENDPOINT_URL_S3: env.endpoint } });
      expect(cli("ls", `s3://${bucket}/team`)).toContain(run.uuid.slice(0, 12));
      const shown = cli("show", run.storeUri!);
      expect(shown).toContain("succeeded");
      expect(shown).toContain("loss");
    });

    it("its checkpoints are read back through s3:// by the one versions reader and findCheckpoint", async () => {
      const storeOptions = { endpoint: env.endpoint, forcePathStyle: true, region: env.region, credentials: env };
      const run = await init({ offlineRoot: root, store: `s3://${bucket}/ckpt`, storeOptions, syncIntervalMs: 0, handleExit: false });
      const mgr = new CheckpointManager(run, { name: "clf", framework: "custom", monitor: "val_loss", keepBest: 1, keepLast: 1 });
      const losses = [0.5, 0.2, 0.4, 0.3];
      for (let step = 0; step < losses.length; step++) {
        await mgr.save(step, { val_loss: losses[step]! }, (dir) => writeFile(join(dir, "w.json"), JSON.stringify({ step })));
      }
      await run.end();
      const local = await readVersions(run.artifactsPath, "model", "clf");
      const remote = await readVersions(run.storeUri!, "model", "clf", { s3: storeOptions });
      expect(remote.runPath).not.toBe(run.artifactsPath);
      expect(remote.versions.map((v) => [v.step, v.exists])).toEqual(local.versions.map((v) => [v.step, v.exists]));
      expect(remote.best).toEqual({ step: 1, monitor: "val_loss", mode: "min", value: 0.2 });
      expect(remote.latestStep).toBe(3);
      const best = await findCheckpoint(run.storeUri!, { name: "clf", step: "best" });
      expect(best.step).toBe(1);
      expect(JSON.parse(readFileSync(join(best.path, "w.json"), "utf8"))).toEqual({ step: 1 });
    });

    it("a bad store location fails init at once", async () => {
      await expect(init({ offlineRoot: root, store: "not-a-uri", handleExit: false })).rejects.toThrow(/s3:\/\//);
    });
  });
}

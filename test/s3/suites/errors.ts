import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  materializeS3Run,
  S3AuthError,
  S3BucketNotFoundError,
  S3EndpointUnreachableError,
  syncRun,
  type S3Store,
} from "../../../src/store/index.js";
import { syncManifestPath } from "../../../src/store/sync.js";
import { freshBucket, makeRun, testStore, type S3TestEnv } from "../../helpers/s3-env.js";

/** Every string an error exposes: message, stack, and its cause chain, serialised. */
function everythingSaid(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && cur; depth++) {
    const e = cur as Error & Record<string, unknown>;
    parts.push(String(e), e.message ?? "", e.stack ?? "");
    try {
      parts.push(JSON.stringify(e));
    } catch {
      // circular: the fields above are enough
    }
    cur = e.cause;
  }
  return parts.join("\n");
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export function errorsSuite(env: S3TestEnv): void {
  describe("errors", () => {
    let store: S3Store;
    let bucket: string;
    let cleanup: () => Promise<void>;
    let root: string;
    const canary = `WRONG-secret-canary-${Date.now()}`;
    beforeAll(async () => {
      store = await testStore(env);
      ({ bucket, cleanup } = await freshBucket(store, "errors"));
      root = await mkdtemp(join(tmpdir(), "runtrail-s3-"));
    });
    afterAll(async () => {
      await cleanup?.();
      store?.destroy();
      await rm(root, { recursive: true, force: true });
    });

    it("a FIFO in place of run.plx.json or of the sync manifest is refused at once, never waited on", async () => {
      const dir = join(root, "not-a-uuid-name");
      await mkdir(dir, { recursive: true });
      execFileSync("mkfifo", [join(dir, "run.plx.json")]);
      const t0 = Date.now();
      const err = await syncRun(dir, `s3://${bucket}/fifo`, { store }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/cannot tell the run uuid/);
      const { runPath } = await makeRun(root, { "run.plx.json": "{}", "outputs/a.txt": "a" });
      await mkdir(join(runPath, ".runtrail"), { recursive: true });
      // The manifest as a FIFO: a manifest that cannot be read is an empty one (everything is sent again).
      const manifest = syncManifestPath(runPath, store.options.displayEndpoint, `s3://${bucket}/fifo`);
      await mkdir(dirname(manifest), { recursive: true });
      execFileSync("mkfifo", [manifest]);
      const report = await syncRun(runPath, `s3://${bucket}/fifo`, { store });
      expect(report.filesSent).toBeGreaterThan(0);
      expect(Date.now() - t0).toBeLessThan(30_000);
    });

    it("wrong credentials give S3AuthError saying which env vars to set, without the secret", async () => {
      const { runPath, uuid } = await makeRun(root, { "run.plx.json": "{}", "outputs/a.txt": "a" });
      const badSecret = await testStore(env, { secretAccessKey: canary });
      const badKey = await testStore(env, { accessKeyId: "NOSUCHKEY", secretAccessKey: canary });
      try {
        for (const s of [badSecret, badKey]) {
          const err = await syncRun(runPath, `s3://${bucket}/x`, { store: s }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(S3AuthError);
          expect((err as Error).message).toMatch(/AWS_ACCESS_KEY_ID.*AWS_SECRET_ACCESS_KEY/);
          expect(everythingSaid(err)).not.toContain(canary);
          const readErr = await materializeS3Run(`s3://${bucket}/x/${uuid}`, { store: s, cacheRoot: join(root, "c") }).catch((e: unknown) => e);
          expect(readErr).toBeInstanceOf(S3AuthError);
          expect(everythingSaid(readErr)).not.toContain(canary);
        }
      } finally {
        badSecret.destroy();
        badKey.destroy();
      }
    });

    it("explicit wrong keys through the options give the same error (never echoed)", async () => {
      const { runPath } = await makeRun(root, { "run.plx.json": "{}" });
      const err = await syncRun(runPath, `s3://${bucket}/y`, {
        endpoint: env.endpoint,
        credentials: { accessKeyId: env.accessKeyId, secretAccessKey: canary },
        maxAttempts: 1,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S3AuthError);
      expect(everythingSaid(err)).not.toContain(canary);
    });

    it("a missing bucket gives S3BucketNotFoundError naming the bucket", async () => {
      const { runPath, uuid } = await makeRun(root, { "run.plx.json": "{}" });
      const missing = `rt-missing-${Date.now()}`;
      const err = await syncRun(runPath, `s3://${missing}/p`, { store }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S3BucketNotFoundError);
      expect((err as S3BucketNotFoundError).bucket).toBe(missing);
      expect((err as Error).message).toContain(`"${missing}"`);
      const readErr = await materializeS3Run(`s3://${missing}/p/${uuid}`, { store, cacheRoot: join(root, "c") }).catch((e: unknown) => e);
      expect(readErr).toBeInstanceOf(S3BucketNotFoundError);
    });

    it("an unreachable endpoint gives S3EndpointUnreachableError naming it", async () => {
      const { runPath } = await makeRun(root, { "run.plx.json": "{}" });
      const endpoint = `http://127.0.0.1:${await closedPort()}`;
      const err = await syncRun(runPath, `s3://${bucket}/p`, {
        endpoint,
        credentials: { accessKeyId: env.accessKeyId, secretAccessKey: canary },
        maxAttempts: 1,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S3EndpointUnreachableError);
      expect((err as Error).message).toContain(endpoint);
      expect(everythingSaid(err)).not.toContain(canary);
    });

    it("no secret ever lands in the run folder, its manifest or the reader's cache", async () => {
      const { runPath, uuid } = await makeRun(root, {
        "run.plx.json": "{}",
        "lineages.plx.json": "[]",
        "events/metric/loss.plx": "step|timestamp|metric",
      });
      const bad = await testStore(env, { secretAccessKey: canary });
      await syncRun(runPath, `s3://${bucket}/scan`, { store: bad }).catch(() => undefined);
      bad.destroy();
      await syncRun(runPath, `s3://${bucket}/scan`, { store });
      const cache = await materializeS3Run(`s3://${bucket}/scan/${uuid}`, { store, cacheRoot: join(root, "scan-cache") });
      const scanned = [...(await filesUnder(runPath)), ...(await filesUnder(cache))];
      expect(scanned.some((f) => f.includes(".runtrail/sync/"))).toBe(true);
      for (const f of scanned) {
        const text = await readFile(f, "latin1");
        expect(text.includes(env.secretAccessKey), f).toBe(false);
        expect(text.includes(canary), f).toBe(false);
      }
    });
  });
}

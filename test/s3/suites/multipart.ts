import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SHA256_METADATA_KEY, syncRun, type S3Store } from "../../../src/store/index.js";
import { syncManifestPath } from "../../../src/store/sync.js";
import { makeRun, digestFile, digestObject, recordRequests, type S3TestEnv, useBucket } from "../../helpers/s3-env.js";

const MiB = 1024 * 1024;

export function multipartSuite(env: S3TestEnv): void {
  describe("multipart", () => {
    let store: S3Store;
    let bucket: string;
    let root: string;
    useBucket(env, "multipart", (fx) => ({ store, bucket, root } = fx));

    it("a 64 MB checkpoint goes multipart, streamed in 8 MiB parts, with its sha256 as metadata", async () => {
      const { runPath, uuid } = await makeRun(root, { "run.plx.json": "{}", "assets/model/ckpt_64": { random: 64 * MiB } });
      const log = recordRequests(store);
      const report = await syncRun(runPath, `s3://${bucket}/mp`, { store });
      expect(report).toMatchObject({ filesSent: 2, filesMultipart: 1, partsSent: 8, bytesSent: 64 * MiB + 2 });
      const count = (c: string): number => log.filter((r) => r.command === c).length;
      expect(count("CreateMultipartUploadCommand")).toBe(1);
      expect(count("UploadPartCommand")).toBe(8);
      expect(count("CompleteMultipartUploadCommand")).toBe(1);

      const key = `mp/${uuid}/assets/model/ckpt_64`;
      const head = await store.client.send(new store.sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
      const localSha = await digestFile(join(runPath, "assets/model/ckpt_64"));
      expect(head.ETag).toMatch(/^"?[0-9a-f]{32}-8"?$/);
      expect(head.ContentLength).toBe(64 * MiB);
      expect(head.Metadata?.[SHA256_METADATA_KEY]).toBe(localSha);
      expect(await digestObject(store, bucket, key)).toBe(localSha);

      const manifest = JSON.parse(await readFile(syncManifestPath(runPath, env.endpoint, `s3://${bucket}/mp`), "utf8"));
      expect(manifest.files["assets/model/ckpt_64"]).toMatchObject({ size: 64 * MiB, sha256: localSha, multipart: true });
      expect(manifest.files["assets/model/ckpt_64"].etag).toMatch(/-8$/);
    });

    it("honours partSizeBytes and concurrency", async () => {
      const { runPath } = await makeRun(root, { "assets/model/ckpt": { random: 21 * MiB } });
      const report = await syncRun(runPath, `s3://${bucket}/mp2`, { store, partSizeBytes: 5 * MiB, concurrency: 2 });
      expect(report).toMatchObject({ filesMultipart: 1, partsSent: 5 });
    });
  });
}

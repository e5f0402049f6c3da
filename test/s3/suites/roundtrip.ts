import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { readFile, rm, unlink, utimes, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  listS3Runs,
  materializeS3Run,
  MD5_METADATA_KEY,
  S3IntegrityError,
  SHA256_METADATA_KEY,
  syncRun,
  type S3Store,
} from "../../../src/store/index.js";
import { syncManifestPath } from "../../../src/store/sync.js";
import { listRunFiles } from "../../../src/store/run-files.js";
import { listKeys, makeRun, recordRequests, type S3TestEnv, useBucket } from "../../helpers/s3-env.js";

const MiB = 1024 * 1024;

export function roundTripSuite(env: S3TestEnv): void {
  describe("sync and read back", () => {
    let store: S3Store;
    let bucket: string;
    let root: string;
    useBucket(env, "roundtrip", (fx) => ({ store, bucket, root } = fx));

    const files = {
      "run.plx.json": JSON.stringify({ name: "rt", status: "running" }),
      "lineages.plx.json": JSON.stringify([{ name: "loss", kind: "metric", path: "events/metric/loss.plx" }]),
      "events/metric/loss.plx": "step|timestamp|metric\n1|2024-01-01T00:00:00+00:00|0.5",
      "events/html/report.plx": '{"step":1,"timestamp":"2024-01-01T00:00:00+00:00","html":"<b>|</b>"}',
      "assets/image/sample_1.png": { random: 3000 },
      "outputs/model/weights.bin": { random: 12 * MiB },
      "outputs/empty.txt": "",
      "outputs/dir with space/ü-ñ.txt": "unicode name",
      ".runtrail/staging/half-written.bin": "never synced",
    };

    it("a run folder synced and read back byte for byte", async () => {
      const { runPath, uuid } = await makeRun(root, files);
      const { files: local } = await listRunFiles(runPath);
      const total = local.reduce((n, f) => n + f.size, 0);
      const report = await syncRun(runPath, `s3://${bucket}/team-a`, { store });
      expect(report).toMatchObject({ filesSent: 8, bytesSent: total, filesSkipped: 0, filesMultipart: 1, filesChangedDuringSync: 0 });
      expect(report.uri).toBe(`s3://${bucket}/team-a/${uuid}`);
      const expected = Object.keys(files).filter((rel) => !rel.startsWith(".runtrail/")).map((rel) => `team-a/${uuid}/${rel}`);
      expect(await listKeys(store, bucket)).toEqual(expected.sort());

      const cacheRoot = join(root, "cache");
      const back = await materializeS3Run(`s3://${bucket}/team-a/${uuid}`, { store, cacheRoot });
      expect(back).toBe(join(cacheRoot, bucket, "team-a", uuid));
      for (const f of local) expect((await readFile(join(back, f.rel))).equals(await readFile(f.abs)), f.rel).toBe(true);
      const { files: cached } = await listRunFiles(back);
      expect(cached.map((f) => f.rel)).toEqual(local.map((f) => f.rel));
    });

    it("reads into <tmpdir>/runtrail-cache/<bucket>/<prefix>/<uuid> by default", async () => {
      const { runPath, uuid } = await makeRun(root, { "run.plx.json": "{}", "events/metric/a.plx": "step|timestamp|metric" });
      await syncRun(runPath, `s3://${bucket}/deep/er`, { store });
      const back = await materializeS3Run(`s3://${bucket}/deep/er/${uuid}`, { store });
      try {
        expect(back).toBe(join(tmpdir(), "runtrail-cache", bucket, "deep", "er", uuid));
        expect(await readFile(join(back, "events/metric/a.plx"), "utf8")).toBe("step|timestamp|metric");
      } finally {
        await rm(join(tmpdir(), "runtrail-cache", bucket), { recursive: true, force: true });
      }
    });

    it("a second sync of an unchanged run sends 0 bytes; a touched but unchanged file too", async () => {
      const { runPath } = await makeRun(root, files);
      await syncRun(runPath, `s3://${bucket}/again`, { store });
      const log = recordRequests(store);
      const second = await syncRun(runPath, `s3://${bucket}/again`, { store });
      expect(second).toMatchObject({ filesSent: 0, bytesSent: 0, filesSkipped: 8 });
      const later = new Date(Date.now() + 5000);
      await utimes(join(runPath, "outputs/model/weights.bin"), later, later);
      const third = await syncRun(runPath, `s3://${bucket}/again`, { store });
      expect(third).toMatchObject({ filesSent: 0, bytesSent: 0, filesSkipped: 8 });
      const uploads = log.filter((r) => /^(PutObject|UploadPart|CreateMultipartUpload)Command$/.test(r.command));
      expect(uploads).toEqual([]);
    });

    it("a grown event file is sent again, alone; lineage and run metadata go last", async () => {
      const { runPath, uuid } = await makeRun(root, files);
      await syncRun(runPath, `s3://${bucket}/grow`, { store });
      const row = "\n2|2024-01-01T00:00:01+00:00|0.25";
      await appendFile(join(runPath, "events/metric/loss.plx"), row);
      const log = recordRequests(store);
      const report = await syncRun(runPath, `s3://${bucket}/grow`, { store });
      expect(report).toMatchObject({ filesSent: 1, filesSkipped: 7 });
      expect(log.filter((r) => r.command === "PutObjectCommand").map((r) => r.key)).toEqual([`grow/${uuid}/events/metric/loss.plx`]);
      const back = await materializeS3Run(`s3://${bucket}/grow/${uuid}`, { store, cacheRoot: join(root, "cache") });
      expect(await readFile(join(back, "events/metric/loss.plx"), "utf8")).toBe(`${files["events/metric/loss.plx"]}${row}`);

      await writeFile(join(runPath, "lineages.plx.json"), "[]");
      await writeFile(join(runPath, "run.plx.json"), '{"status":"succeeded"}');
      await writeFile(join(runPath, "assets/image/sample_2.png"), "new image");
      await writeFile(join(runPath, "outputs/model/weights.bin"), Buffer.alloc(9 * MiB, 7));
      log.length = 0;
      await syncRun(runPath, `s3://${bucket}/grow`, { store });
      const order = log.filter((r) => /^(PutObject|CreateMultipartUpload)Command$/.test(r.command)).map((r) => r.key!.split(`${uuid}/`)[1]);
      expect(order.slice(-2)).toEqual(["lineages.plx.json", "run.plx.json"]);
      expect(new Set(order)).toEqual(new Set(["assets/image/sample_2.png", "outputs/model/weights.bin", "lineages.plx.json", "run.plx.json"]));
    });

    it("lineage uploaded with a sync never names a file that sync did not upload", async () => {
      const { runPath, uuid } = await makeRun(root, {
        "run.plx.json": "{}",
        "lineages.plx.json": JSON.stringify([{ name: "m", path: "assets/model/m_1" }]),
        "assets/model/m_1": "one",
      });
      let wrote = false;
      await syncRun(runPath, `s3://${bucket}/lineage`, {
        store,
        onProgress: () => {
          if (wrote) return;
          wrote = true; // after the sync has listed the folder: a new version and the lineage naming it
          writeFileSync(join(runPath, "assets/model/m_2"), "two");
          writeFileSync(join(runPath, "lineages.plx.json"), JSON.stringify([{ name: "m", path: "assets/model/m_2" }]));
        },
      });
      const back = await materializeS3Run(`s3://${bucket}/lineage/${uuid}`, { store, cacheRoot: join(root, "cache-lineage") });
      expect(JSON.parse(await readFile(join(back, "lineages.plx.json"), "utf8"))[0].path).toBe("assets/model/m_1");
      const next = await syncRun(runPath, `s3://${bucket}/lineage`, { store });
      expect(next.filesSent).toBe(2);
      await materializeS3Run(`s3://${bucket}/lineage/${uuid}`, { store, cacheRoot: join(root, "cache-lineage") });
      expect(JSON.parse(await readFile(join(back, "lineages.plx.json"), "utf8"))[0].path).toBe("assets/model/m_2");
      expect(await readFile(join(back, "assets/model/m_2"), "utf8")).toBe("two");
    });

    it("a file deleted locally is deleted remotely (deleteRemoved: false keeps it), and from the reader's cache", async () => {
      const { runPath, uuid } = await makeRun(root, { "run.plx.json": "{}", "assets/model/m_1.bin": "one", "assets/model/m_2.bin": "two" });
      await syncRun(runPath, `s3://${bucket}/prune`, { store });
      const cacheRoot = join(root, "cache-prune");
      const back = await materializeS3Run(`s3://${bucket}/prune/${uuid}`, { store, cacheRoot });
      await unlink(join(runPath, "assets/model/m_1.bin"));
      const kept = await syncRun(runPath, `s3://${bucket}/prune`, { store, deleteRemoved: false });
      expect(kept.filesDeleted).toBe(0);
      expect(await listKeys(store, bucket, `prune/${uuid}/assets`)).toHaveLength(2);
      const pruned = await syncRun(runPath, `s3://${bucket}/prune`, { store });
      expect(pruned.filesDeleted).toBe(1);
      expect(await listKeys(store, bucket, `prune/${uuid}/assets`)).toEqual([`prune/${uuid}/assets/model/m_2.bin`]);
      await materializeS3Run(`s3://${bucket}/prune/${uuid}`, { store, cacheRoot });
      expect((await listRunFiles(back)).files.map((f) => f.rel)).toEqual(["assets/model/m_2.bin", "run.plx.json"]);
    });

    it("lists the runs under a prefix, and can fetch only their metadata", async () => {
      const a = await makeRun(root, { "run.plx.json": '{"name":"a"}', "lineages.plx.json": "[]", "outputs/big.bin": { random: 1000 } });
      const b = await makeRun(root, { "run.plx.json": '{"name":"b"}' });
      await syncRun(a.runPath, `s3://${bucket}/listing`, { store });
      await syncRun(b.runPath, `s3://${bucket}/listing`, { store });
      await syncRun(b.runPath, `s3://${bucket}/listing/nested`, { store }); // not a run folder of "listing"
      const runs = await listS3Runs(`s3://${bucket}/listing`, { store });
      expect(runs).toEqual(
        [a.uuid, b.uuid].sort().map((uuid) => ({ uuid, uri: `s3://${bucket}/listing/${uuid}` })),
      );
      const back = await materializeS3Run(runs.find((r) => r.uuid === a.uuid)!.uri, { store, cacheRoot: join(root, "cache-meta"), metadataOnly: true });
      expect((await listRunFiles(back)).files.map((f) => f.rel)).toEqual(["lineages.plx.json", "run.plx.json"]);
      expect(await listS3Runs(`s3://${bucket}/nothing-here`, { store })).toEqual([]);
    });

    it("objects and manifests written with md5 by earlier versions still verify, and are not sent again", async () => {
      const { runPath, uuid } = await makeRun(root, files);
      const uri = `s3://${bucket}/legacy`;
      await syncRun(runPath, uri, { store });
      // Rewrite the objects and the manifest as an earlier version left them.
      const md5 = (b: Buffer): string => createHash("md5").update(b).digest("hex");
      const put = (rel: string, body: Buffer, metadata: Record<string, string>): Promise<unknown> =>
        store.client.send(new store.sdk.PutObjectCommand({ Bucket: bucket, Key: `legacy/${uuid}/${rel}`, Body: body, Metadata: metadata }));
      const { files: local } = await listRunFiles(runPath);
      for (const f of local) {
        const body = await readFile(f.abs);
        await put(f.rel, body, { [MD5_METADATA_KEY]: md5(body) });
      }
      const mPath = syncManifestPath(runPath, env.endpoint, uri);
      const m = JSON.parse(await readFile(mPath, "utf8"));
      for (const [rel, e] of Object.entries(m.files as Record<string, { sha256?: string; md5?: string }>)) {
        delete e.sha256;
        e.md5 = md5(await readFile(join(runPath, rel)));
      }
      await writeFile(mPath, JSON.stringify({ ...m, version: 1 }));

      expect(await syncRun(runPath, uri, { store })).toMatchObject({ filesSent: 0, bytesSent: 0, filesSkipped: 8 });
      const back = await materializeS3Run(`${uri}/${uuid}`, { store, cacheRoot: join(root, "cache-legacy") });
      for (const f of local) expect((await readFile(join(back, f.rel))).equals(await readFile(f.abs)), f.rel).toBe(true);

      // A legacy entry has no sha256 to compare: once its mtime moves, the file is sent again, with a sha256.
      const later = new Date(Date.now() + 5000);
      await utimes(join(runPath, "outputs/model/weights.bin"), later, later);
      expect(await syncRun(runPath, uri, { store })).toMatchObject({ filesSent: 1, bytesSent: 12 * MiB, filesSkipped: 7 });
      const head = await store.client.send(new store.sdk.HeadObjectCommand({ Bucket: bucket, Key: `legacy/${uuid}/outputs/model/weights.bin` }));
      expect(head.Metadata?.[SHA256_METADATA_KEY]).toBe(createHash("sha256").update(await readFile(join(runPath, "outputs/model/weights.bin"))).digest("hex"));

      // Both digests are checked on download.
      const text = Buffer.from("unicode name");
      const bad: Array<Record<string, string>> = [{ [MD5_METADATA_KEY]: md5(Buffer.from("other")) }, { [SHA256_METADATA_KEY]: "0".repeat(64) }];
      for (const metadata of bad) {
        await put("outputs/dir with space/ü-ñ.txt", text, metadata);
        await expect(materializeS3Run(`${uri}/${uuid}`, { store, cacheRoot: join(root, `cache-bad-${Object.keys(metadata)[0]}`) })).rejects.toBeInstanceOf(
          S3IntegrityError,
        );
      }
    });

    it("the reader downloads only what changed", async () => {
      const { runPath, uuid } = await makeRun(root, files);
      await syncRun(runPath, `s3://${bucket}/reader`, { store });
      const cacheRoot = join(root, "cache-reader");
      const uri = `s3://${bucket}/reader/${uuid}`;
      await materializeS3Run(uri, { store, cacheRoot });
      const log = recordRequests(store);
      await materializeS3Run(uri, { store, cacheRoot });
      const gets = (): Array<string | undefined> => log.filter((r) => r.command === "GetObjectCommand").map((r) => r.key!.split(`${uuid}/`)[1]);
      expect(gets().sort()).toEqual(["lineages.plx.json", "run.plx.json"]); // metadata is always re-read
      await appendFile(join(runPath, "events/metric/loss.plx"), "\n3|2024-01-01T00:00:02+00:00|0.1");
      await syncRun(runPath, `s3://${bucket}/reader`, { store });
      log.length = 0;
      await materializeS3Run(uri, { store, cacheRoot });
      expect(gets().sort()).toEqual(["events/metric/loss.plx", "lineages.plx.json", "run.plx.json"]);
    });
  });
}

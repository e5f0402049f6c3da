/**
 * S3 sync throughput: `syncRun` of a ~200 MB run (one 128 MB checkpoint, three 24 MB files,
 * small event and metadata files) against bare lib-storage `Upload`s of the same files with
 * the same client, part size and queue size. Reports the median of repeats and the ratio
 * (DESIGN.md §5 target: ≥ 0.9; the median of per-repeat ratios), and checks that a re-sync of the unchanged run sends 0 bytes.
 *
 *   node --import tsx bench/s3-sync.ts          (BENCH_REPEATS=5 by default)
 * Uses RUNTRAIL_S3_ENDPOINT + AWS keys, else the local gateway's .ceph-state/s3-env.json.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createS3Store, S3EndpointUnreachableError, syncRun, type S3Store } from "../src/store/index.js";
import { listRunFiles } from "../src/store/run-files.js";
import { machineLine, median, type BenchResult } from "./machine.js";

const MiB = 1024 * 1024;
const PART_SIZE = 8 * MiB;
const QUEUE_SIZE = 4;

/** For `npm run bench` (bench/run.ts): the two S3 rows, or undefined when no gateway is configured or reachable. */
export async function runS3SyncBench(): Promise<BenchResult[] | undefined> {
  const r = await benchS3Sync();
  if (!r) return undefined;
  return [
    {
      name: "S3 sync vs bare lib-storage Upload (throughput)",
      figure: `${r.ratio.toFixed(3)}×`,
      ratio: r.ratio,
      target: "≥ 0.9×",
      met: r.ratio >= 0.9,
      details: `sync ${r.syncMiBs.toFixed(1)} MiB/s, bare ${r.bareMiBs.toFixed(1)} MiB/s (medians of ${r.repeats}), ${r.runMiB.toFixed(0)} MiB run`,
    },
    {
      name: "S3 re-sync of an unchanged run",
      figure: `${r.resyncBytes} bytes`,
      ratio: r.resyncBytes,
      target: "0 bytes",
      met: r.resyncBytes === 0,
      details: `${r.resyncMs.toFixed(0)} ms`,
    },
  ];
}

/** What {@link benchS3Sync} measured. */
export interface S3SyncBench {
  /** Median of per-repeat sync/bare throughput ratios. */
  ratio: number;
  syncMiBs: number;
  bareMiBs: number;
  repeats: number;
  runMiB: number;
  resyncBytes: number;
  resyncMs: number;
}

/** Runs the benchmark and prints it; undefined when skipped (no endpoint configured, or nothing answers there). */
export async function benchS3Sync(repeats = Number(process.env.BENCH_REPEATS ?? 5)): Promise<S3SyncBench | undefined> {
  console.log(`machine: ${machineLine()}`);
  if (!process.env.RUNTRAIL_S3_ENDPOINT && !process.env.AWS_ENDPOINT_URL_S3) loadLocalGatewayEnv();
  if (!process.env.RUNTRAIL_S3_ENDPOINT && !process.env.AWS_ENDPOINT_URL_S3) {
    console.log("s3-sync bench skipped: RUNTRAIL_S3_ENDPOINT not set; run scripts/ceph-rgw-start.sh and export the variables it prints");
    return undefined;
  }
  const store = await createS3Store();
  const bucket = `runtrail-bench-${randomBytes(4).toString("hex")}`;
  const root = resolve(".bench-tmp", `s3-sync-${process.pid}`);
  const uuid = randomBytes(16).toString("hex");
  const runPath = join(root, uuid);
  try {
    await store.call("CreateBucket", bucket, undefined, () => store.client.send(new store.sdk.CreateBucketCommand({ Bucket: bucket })));
  } catch (err) {
    store.destroy();
    if (!(err instanceof S3EndpointUnreachableError)) throw err;
    console.log(`s3-sync bench skipped: ${err.message}`);
    return undefined;
  }
  try {
    const totalBytes = await buildRun(runPath);
    const { files } = await listRunFiles(runPath);
    console.log(`run: ${files.length} files, ${(totalBytes / MiB).toFixed(1)} MiB; part ${PART_SIZE / MiB} MiB, queue ${QUEUE_SIZE}; ${repeats} repeats`);
    const syncRates: number[] = [];
    const bareRates: number[] = [];
    for (let i = 0; i < repeats; i++) {
      // Alternate the order so neither side always runs on a warmer gateway.
      const order = i % 2 === 0 ? (["sync", "bare"] as const) : (["bare", "sync"] as const);
      for (const which of order) {
        const prefix = `${which}-${i}`;
        const t0 = performance.now();
        if (which === "sync") {
          const r = await syncRun(runPath, `s3://${bucket}/${prefix}`, { store, partSizeBytes: PART_SIZE, concurrency: QUEUE_SIZE });
          if (r.bytesSent !== totalBytes) throw new Error(`sync sent ${r.bytesSent} bytes, expected ${totalBytes}`);
        } else {
          for (const f of files) {
            await new store.storage.Upload({
              client: store.client,
              params: { Bucket: bucket, Key: `${prefix}/${uuid}/${f.rel}`, Body: createReadStream(f.abs) },
              partSize: PART_SIZE,
              queueSize: QUEUE_SIZE,
            }).done();
          }
        }
        const s = (performance.now() - t0) / 1000;
        (which === "sync" ? syncRates : bareRates).push(totalBytes / MiB / s);
        console.log(`  #${i} ${which.padEnd(4)} ${(totalBytes / MiB / s).toFixed(1).padStart(7)} MiB/s  (${s.toFixed(2)} s)`);
        await emptyPrefix(store, bucket, `${prefix}/`); // the test gateway keeps objects in RAM
      }
    }
    const resync0 = await syncRun(runPath, `s3://${bucket}/resync`, { store, partSizeBytes: PART_SIZE, concurrency: QUEUE_SIZE });
    const resync = await syncRun(runPath, `s3://${bucket}/resync`, { store, partSizeBytes: PART_SIZE, concurrency: QUEUE_SIZE });
    await emptyPrefix(store, bucket, "resync/");
    const sync = median(syncRates);
    const bare = median(bareRates);
    // Each repeat runs both back to back; the median of per-repeat ratios cancels load drift
    // on a shared machine better than the ratio of medians (both are printed).
    const ratio = median(syncRates.map((r, i) => r / bareRates[i]!));
    console.log(`median: sync ${sync.toFixed(1)} MiB/s, bare Upload ${bare.toFixed(1)} MiB/s (ratio of medians ${(sync / bare).toFixed(3)})`);
    console.log(`ratio sync/bare (median of per-repeat ratios) = ${ratio.toFixed(3)} (target >= 0.9): ${ratio >= 0.9 ? "PASS" : "FAIL"}`);
    console.log(
      `re-sync of the unchanged run: ${resync.bytesSent} bytes sent, ${resync.filesSkipped} files skipped, ${resync.durationMs.toFixed(0)} ms ` +
        `(first sync ${resync0.durationMs.toFixed(0)} ms): ${resync.bytesSent === 0 ? "PASS" : "FAIL"}`,
    );
    return { ratio, syncMiBs: sync, bareMiBs: bare, repeats, runMiB: totalBytes / MiB, resyncBytes: resync.bytesSent, resyncMs: resync.durationMs };
  } finally {
    await emptyPrefix(store, bucket, "").catch(() => undefined);
    await store.client.send(new store.sdk.DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    store.destroy();
    await rm(root, { recursive: true, force: true });
  }
}

async function buildRun(runPath: string): Promise<number> {
  const sizes: Array<[string, number]> = [
    ["assets/model/checkpoint_10", 128 * MiB],
    ["assets/model/checkpoint_5", 24 * MiB],
    ["assets/model/checkpoint_1", 24 * MiB],
    ["outputs/embeddings.bin", 24 * MiB],
  ];
  let total = 0;
  for (const [rel, size] of sizes) {
    await mkdir(join(runPath, rel, ".."), { recursive: true });
    await writeFile(join(runPath, rel), randomBytes(size));
    total += size;
  }
  await mkdir(join(runPath, "events", "metric"), { recursive: true });
  const rows = ["step|timestamp|metric"];
  for (let s = 0; s < 20_000; s++) rows.push(`${s}|2024-01-01T00:00:00.${String(s % 1e6).padStart(6, "0")}+00:00|${Math.random()}`);
  const small: Array<[string, string]> = [
    ["events/metric/loss.plx", rows.join("\n")],
    ["lineages.plx.json", "[]"],
    ["run.plx.json", JSON.stringify({ uuid: runPath.slice(-32), name: "bench" })],
  ];
  for (const [rel, text] of small) {
    await writeFile(join(runPath, rel), text);
    total += Buffer.byteLength(text);
  }
  return total;
}

async function emptyPrefix(store: S3Store, bucket: string, prefix: string): Promise<void> {
  for (let page = 0; page < 1000; page++) {
    const out = await store.client.send(new store.sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    for (const o of out.Contents ?? []) await store.client.send(new store.sdk.DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
    if (!out.IsTruncated) return;
  }
}

/** The test gateway's address and keys, as written by scripts/ceph-rgw-start.sh. */
function loadLocalGatewayEnv(): void {
  const file = join(process.env.CEPH_STATE_DIR ?? ".ceph-state", "s3-env.json");
  if (!existsSync(file)) return;
  const env = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  process.env.RUNTRAIL_S3_ENDPOINT = env.endpoint;
  process.env.AWS_ACCESS_KEY_ID = env.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = env.secretAccessKey;
  process.env.AWS_REGION = env.region;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await benchS3Sync();
}

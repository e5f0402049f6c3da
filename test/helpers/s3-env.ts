/**
 * S3 test environment: the gateway to test against (env RUNTRAIL_S3_ENDPOINT + AWS keys, or the
 * `.ceph-state/s3-env.json` that scripts/ceph-rgw-start.sh writes), fresh buckets, run folders,
 * and control of the local radosgw process for the "killed midway" test.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createS3Store, type S3Store } from "../../src/store/index.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const STATE_DIR = process.env.CEPH_STATE_DIR ?? join(REPO, ".ceph-state");

export const S3_SKIP_REASON = "S3 suites skipped: RUNTRAIL_S3_ENDPOINT not set; run scripts/ceph-rgw-start.sh";

/** The gateway the suites use. */
export interface S3TestEnv {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

function loadEnv(): S3TestEnv | undefined {
  const e = process.env;
  if (e.RUNTRAIL_S3_ENDPOINT) {
    return {
      endpoint: e.RUNTRAIL_S3_ENDPOINT,
      accessKeyId: e.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: e.AWS_SECRET_ACCESS_KEY ?? "",
      region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? "us-east-1",
    };
  }
  const file = join(STATE_DIR, "s3-env.json");
  if (!existsSync(file)) return undefined;
  const env = JSON.parse(readFileSync(file, "utf8")) as S3TestEnv;
  // The SDK's default credential chain (used by the CLI path) reads these.
  e.RUNTRAIL_S3_ENDPOINT = env.endpoint;
  e.AWS_ACCESS_KEY_ID = env.accessKeyId;
  e.AWS_SECRET_ACCESS_KEY = env.secretAccessKey;
  e.AWS_REGION = env.region;
  return env;
}

export const s3Env: S3TestEnv | undefined = loadEnv();
const inCi = /^(1|true)$/i.test(process.env.CI ?? "");

/**
 * `describe` for suites that need the gateway: runs them when an endpoint is configured,
 * otherwise skips them with {@link S3_SKIP_REASON} — except under `CI=true`, where it fails.
 */
export function describeS3(name: string, fn: (env: S3TestEnv) => void): void {
  if (s3Env) {
    const env = s3Env;
    describe(name, () => fn(env));
    return;
  }
  if (inCi) {
    describe(name, () => {
      it("has an S3 endpoint to test against", () => {
        throw new Error(`${S3_SKIP_REASON} (CI=true: a skipped suite is a failure)`);
      });
    });
    return;
  }
  console.warn(`${S3_SKIP_REASON} [${name}]`);
  describe.skip(name, () => fn({ endpoint: "", accessKeyId: "", secretAccessKey: "", region: "" }));
}

/** A store on the test gateway with explicit credentials (the environment is not needed). */
export async function testStore(env: S3TestEnv, overrides: { secretAccessKey?: string; accessKeyId?: string; endpoint?: string } = {}): Promise<S3Store> {
  return createS3Store({
    endpoint: overrides.endpoint ?? env.endpoint,
    region: env.region,
    credentials: {
      accessKeyId: overrides.accessKeyId ?? env.accessKeyId,
      secretAccessKey: overrides.secretAccessKey ?? env.secretAccessKey,
    },
  });
}

/** Creates a bucket with a fresh name; `cleanup` empties (objects and multipart uploads) and deletes it. */
export async function freshBucket(store: S3Store, label: string): Promise<{ bucket: string; cleanup: () => Promise<void> }> {
  const bucket = `rt-${label}-${randomBytes(5).toString("hex")}`.toLowerCase().slice(0, 63);
  await store.client.send(new store.sdk.CreateBucketCommand({ Bucket: bucket }));
  return {
    bucket,
    cleanup: async () => {
      const { client, sdk } = store;
      for (let page = 0; page < 1000; page++) {
        const out = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket }));
        const keys = (out.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length > 0) await client.send(new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
        if (!out.IsTruncated) break;
      }
      const mpu = await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: bucket }));
      for (const u of mpu.Uploads ?? []) {
        await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
      }
      await client.send(new sdk.DeleteBucketCommand({ Bucket: bucket }));
    },
  };
}

/** File contents for {@link makeRun}: text, bytes, or `{ random: n }` for n random bytes. */
export type FileSpec = string | Uint8Array | { random: number };

/** Writes a run folder `<root>/runs/<uuid>` with the given files (plain fs, no core). */
export async function makeRun(root: string, files: Record<string, FileSpec>): Promise<{ runPath: string; uuid: string }> {
  const uuid = randomBytes(16).toString("hex");
  const runPath = join(root, "runs", uuid);
  await mkdir(runPath, { recursive: true });
  for (const [rel, spec] of Object.entries(files)) {
    const abs = join(runPath, rel);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, typeof spec === "string" || spec instanceof Uint8Array ? spec : randomBytes(spec.random));
  }
  return { runPath, uuid };
}

/** sha256 (hex, or another digest) of a file, streamed. */
export async function digestFile(path: string, algorithm = "sha256"): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** sha256 (hex, or another digest) of an object, downloaded as a stream. */
export async function digestObject(store: S3Store, bucket: string, key: string, algorithm = "sha256"): Promise<string> {
  const out = await store.client.send(new store.sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
  const h = createHash(algorithm);
  for await (const chunk of out.Body as AsyncIterable<Uint8Array>) h.update(chunk);
  return h.digest("hex");
}

/** Every key under a prefix. */
export async function listKeys(store: S3Store, bucket: string, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const out = await store.client.send(new store.sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(out.Contents ?? []).map((o) => o.Key!));
    if (!out.IsTruncated) break;
    token = out.NextContinuationToken;
  }
  return keys.sort();
}

/** Records the command name and key of every request the store's client sends. */
export function recordRequests(store: S3Store): Array<{ command: string; key: string | undefined }> {
  const log: Array<{ command: string; key: string | undefined }> = [];
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string };
      log.push({ command: context.commandName ?? "?", key: input.Key });
      return next(args);
    },
    { step: "initialize", name: `runtrail-test-recorder-${randomBytes(3).toString("hex")}` },
  );
  return log;
}

/**
 * Control of the local radosgw started by scripts/ceph-rgw-start.sh, or undefined when the
 * gateway is not ours (another endpoint, or no pid file).
 */
export function localRgw(): { kill: () => void; restart: () => Promise<void> } | undefined {
  const pidFile = join(STATE_DIR, "run", "rgw.a.pid");
  if (!existsSync(pidFile)) return undefined;
  return {
    kill() {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes("radosgw")) throw new Error(`pid ${pid} in ${pidFile} is not radosgw`);
      process.kill(pid, "SIGKILL");
    },
    async restart() {
      await promisify(execFile)("bash", [join(REPO, "scripts", "ceph-rgw-start.sh"), "--rgw-only"], {
        env: { ...process.env, CEPH_STATE_DIR: STATE_DIR },
        timeout: 60_000,
      });
    },
  };
}

/** Whether the local gateway can be killed and restarted by the tests. */
export const rgwControlAvailable = (): boolean => localRgw() !== undefined;
export { inCi };

/**
 * A fresh bucket, a client and a temp folder for one `describe` block, removed after it.
 * `onReady` hands them to the suite's own variables once `beforeAll` has made them.
 */
export function useBucket(env: S3TestEnv, label: string, onReady: (fx: { store: S3Store; bucket: string; root: string }) => void): void {
  let fx: { store: S3Store; bucket: string; root: string } | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const store = await testStore(env);
    const made = await freshBucket(store, label);
    cleanup = made.cleanup;
    fx = { store, bucket: made.bucket, root: await mkdtemp(join(tmpdir(), "runtrail-s3-")) };
    onReady(fx);
  });
  afterAll(async () => {
    await cleanup?.();
    fx?.store.destroy();
    if (fx) await rm(fx.root, { recursive: true, force: true });
  });
}

// Parts of the S3 store that need no gateway: locations, options, error mapping, manifest,
// lock, run walking, option checks, and failures that happen before any request succeeds.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSyncCommand } from "../../src/cli/sync.js";
import { CorruptRunError, InvalidValueError } from "../../src/core/errors.js";
import {
  materializeS3Run,
  parseS3Uri,
  resolveS3Options,
  S3AccessDeniedError,
  S3AuthError,
  S3BucketNotFoundError,
  S3EndpointUnreachableError,
  S3LocationError,
  S3RequestError,
  S3SyncBusyError,
  S3TransferAbortedError,
  syncRun,
} from "../../src/store/index.js";
import { toS3Error } from "../../src/store/errors.js";
import { digestOfFile } from "../../src/store/file-hash.js";
import { ManifestWriter, readManifest } from "../../src/store/manifest.js";
import { listRunFiles, resolveRunUuid } from "../../src/store/run-files.js";
import { redactUrl, storeKey } from "../../src/store/s3-location.js";
import { acquireSyncLock } from "../../src/store/sync-lock.js";
import { makeRun } from "../helpers/s3-env.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "runtrail-s3-unit-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("s3:// locations and options", () => {
  it("parses bucket and prefix", () => {
    expect(parseS3Uri("s3://ml-runs")).toEqual({ bucket: "ml-runs", prefix: "" });
    expect(parseS3Uri("s3://ml-runs/")).toEqual({ bucket: "ml-runs", prefix: "" });
    expect(parseS3Uri("s3://ml-runs/team/a/")).toEqual({ bucket: "ml-runs", prefix: "team/a" });
    for (const bad of ["ml-runs/x", "s3://", "s3:///x", "s3://a", "s3://b/x/../y", "s3://b/x//y", "gs://b/x"]) {
      expect(() => parseS3Uri(bad), bad).toThrow(S3LocationError);
    }
  });

  it("takes the endpoint from options, then RUNTRAIL_S3_ENDPOINT, then AWS_ENDPOINT_URL_S3", () => {
    const env = { RUNTRAIL_S3_ENDPOINT: "http://127.0.0.1:7480", AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9000" };
    expect(resolveS3Options({ endpoint: "http://127.0.0.1:1" }, env).endpoint).toBe("http://127.0.0.1:1");
    expect(resolveS3Options({}, env).endpoint).toBe("http://127.0.0.1:7480");
    expect(resolveS3Options({}, { AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9000" }).endpoint).toBe("http://127.0.0.1:9000");
    expect(resolveS3Options({}, {})).toMatchObject({ endpoint: undefined, displayEndpoint: "AWS S3", forcePathStyle: false, region: undefined });
  });

  it("defaults path style and region for custom endpoints", () => {
    expect(resolveS3Options({ endpoint: "http://127.0.0.1:7480" }, {})).toMatchObject({ forcePathStyle: true, region: "us-east-1" });
    expect(resolveS3Options({ endpoint: "http://127.0.0.1:7480", forcePathStyle: false }, {}).forcePathStyle).toBe(false);
    expect(resolveS3Options({ endpoint: "http://127.0.0.1:7480" }, { AWS_REGION: "eu-west-3" }).region).toBe("eu-west-3");
    expect(resolveS3Options({}, { RUNTRAIL_S3_FORCE_PATH_STYLE: "true" }).forcePathStyle).toBe(true);
  });

  it("never shows user-info of an endpoint URL", () => {
    expect(redactUrl("http://KEY:SECRET@127.0.0.1:7480/")).toBe("http://127.0.0.1:7480");
    expect(resolveS3Options({ endpoint: "http://KEY:SECRET@127.0.0.1:7480" }, {}).displayEndpoint).not.toContain("SECRET");
    expect(() => resolveS3Options({ endpoint: "ftp://KEY:SECRET@host" }, {})).toThrow(/^(?!.*SECRET)/);
    expect(() => resolveS3Options({ endpoint: "not a url" }, {})).toThrow(S3LocationError);
  });

  it("names each store distinctly and stably", () => {
    const a = storeKey("http://127.0.0.1:7480", { bucket: "b", prefix: "x/y" });
    expect(a).toMatch(/^b-x_y-[0-9a-f]{10}$/);
    expect(storeKey("http://127.0.0.1:7480", { bucket: "b", prefix: "x/y" })).toBe(a);
    expect(storeKey("http://127.0.0.1:9000", { bucket: "b", prefix: "x/y" })).not.toBe(a);
    expect(storeKey("http://127.0.0.1:7480", { bucket: "b", prefix: "x_y" })).not.toBe(a);
  });
});

describe("error mapping", () => {
  const ctx = { endpoint: "http://127.0.0.1:7480", bucket: "bkt", operation: "PutObject", key: "p/k" };
  const sdkError = (name: string, status: number, extra: object = {}): Error =>
    Object.assign(new Error("UnknownError"), { name, Code: name, $metadata: { httpStatusCode: status } }, extra);

  it("maps S3 codes and socket errors to named errors", () => {
    expect(toS3Error(sdkError("InvalidAccessKeyId", 403), ctx)).toBeInstanceOf(S3AuthError);
    expect(toS3Error(sdkError("SignatureDoesNotMatch", 403), ctx)).toBeInstanceOf(S3AuthError);
    expect(toS3Error(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }), ctx).message).toContain(
      "no credentials found",
    );
    expect(toS3Error(sdkError("AccessDenied", 403), ctx)).toBeInstanceOf(S3AccessDeniedError);
    const nb = toS3Error(sdkError("NoSuchBucket", 404), ctx);
    expect(nb).toBeInstanceOf(S3BucketNotFoundError);
    expect(nb.message).toContain('"bkt"');
    expect(toS3Error(sdkError("NotFound", 404), { ...ctx, operation: "HeadBucket" })).toBeInstanceOf(S3BucketNotFoundError);
    expect(toS3Error(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:7480"), { code: "ECONNREFUSED" }), ctx)).toBeInstanceOf(
      S3EndpointUnreachableError,
    );
    expect(toS3Error(new Error("socket hang up"), ctx)).toBeInstanceOf(S3EndpointUnreachableError);
    expect(toS3Error(Object.assign(new Error("aborted"), { name: "AbortError" }), ctx)).toBeInstanceOf(S3TransferAbortedError);
    expect(toS3Error(new Error("Region is missing"), ctx).message).toMatch(/AWS_REGION/);
    const other = toS3Error(sdkError("SlowDown", 503), ctx);
    expect(other).toBeInstanceOf(S3RequestError);
    expect(other.message).toBe("S3 PutObject of s3://bkt/p/k failed: SlowDown (HTTP 503).");
    expect((other as S3RequestError).cause).toBeDefined();
  });

  it("auth errors say which variables to set and keep a code", () => {
    const e = toS3Error(sdkError("InvalidAccessKeyId", 403), ctx) as S3AuthError;
    expect(e.code).toBe("RUNTRAIL_S3_AUTH");
    expect(e.message).toMatch(/AWS_ACCESS_KEY_ID.*AWS_SECRET_ACCESS_KEY.*AWS_PROFILE/);
  });
});

describe("sync manifest and lock", () => {
  const store = { endpoint: "http://127.0.0.1:7480", bucket: "b", runKey: "p/u/" };
  const entry = { size: 1, mtimeMs: 1, sha256: "x", etag: "x", multipart: false, syncedAt: "t" };

  it("coalesces writes, always ends with the latest state, and leaves no temp files", async () => {
    const path = join(root, "m1", "sync", "k.json");
    const w = new ManifestWriter(path, await readManifest(path, store));
    for (let i = 0; i < 500; i++) w.set(`f${i}`, { ...entry, size: i });
    await w.flush();
    const back = await readManifest(path, store);
    expect(Object.keys(back.files)).toHaveLength(500);
    expect(back.files.f499!.size).toBe(499);
    expect(await readdir(dirname(path))).toEqual(["k.json"]);
  });

  it("starts over (re-sending, never skipping) on a corrupt or foreign manifest", async () => {
    const path = join(root, "m2", "k.json");
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, "{not json");
    expect((await readManifest(path, store)).files).toEqual({});
    await writeFile(path, JSON.stringify({ version: 1, store: { ...store, bucket: "other" }, files: { a: entry } }));
    expect((await readManifest(path, store)).files).toEqual({});
  });

  it("upgrades a version-1 (md5) manifest: entries keep size and mtime, lose the md5, and are written back as version 2", async () => {
    const path = join(root, "m3", "k.json");
    await mkdir(dirname(path), { recursive: true });
    const { sha256: _, ...legacy } = { ...entry, md5: "0cc175b9c0f1b6a831c399e269772661" };
    await writeFile(path, JSON.stringify({ version: 1, store, files: { a: legacy } }));
    const m = await readManifest(path, store);
    expect(m.version).toBe(2);
    expect(m.files.a).toEqual({ size: 1, mtimeMs: 1, etag: "x", multipart: false, syncedAt: "t" });
    const w = new ManifestWriter(path, m);
    w.set("b", entry);
    await w.flush();
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ version: 2, files: { a: { size: 1 }, b: { sha256: "x" } } });
  });

  it("makes callers in one process take turns", async () => {
    const lock = join(root, "l1", "k.lock");
    const order: string[] = [];
    const first = await acquireSyncLock(lock);
    const second = acquireSyncLock(lock).then((release) => {
      order.push("second");
      return release;
    });
    await new Promise((r) => setTimeout(r, 30));
    order.push("first done");
    await first();
    await (await second)();
    expect(order).toEqual(["first done", "second"]);
  });

  it("refuses a lock held by a live process and takes over one left by a dead process", async () => {
    const lock = join(root, "l2", "k.lock");
    await mkdir(dirname(lock), { recursive: true });
    const { hostname } = await import("node:os");
    await writeFile(lock, JSON.stringify({ pid: 1, host: hostname(), startedAt: "then" }));
    await expect(acquireSyncLock(lock)).rejects.toBeInstanceOf(S3SyncBusyError);
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    await writeFile(lock, JSON.stringify({ pid: dead, host: hostname(), startedAt: "then" }));
    const release = await acquireSyncLock(lock);
    expect(JSON.parse(await readFile(lock, "utf8")).pid).toBe(process.pid);
    await release();
  });
});

describe("run folders", () => {
  it("lists regular files, skipping .runtrail/ and reporting symlinks", async () => {
    const { runPath } = await makeRun(root, { "a.txt": "a", "events/metric/x.plx": "h", ".runtrail/sync/m.json": "{}" });
    await symlink("/etc/hostname", join(runPath, "outputs-link"));
    const { files, ignored } = await listRunFiles(runPath);
    expect(files.map((f) => f.rel)).toEqual(["a.txt", "events/metric/x.plx"]);
    expect(ignored).toEqual(["outputs-link"]);
  });

  it("takes the uuid from the folder name or run.plx.json", async () => {
    const { runPath, uuid } = await makeRun(root, {});
    expect(await resolveRunUuid(runPath)).toBe(uuid);
    const named = join(root, "my-run");
    await mkdir(named, { recursive: true });
    await expect(resolveRunUuid(named)).rejects.toBeInstanceOf(CorruptRunError);
    await writeFile(join(named, "run.plx.json"), JSON.stringify({ uuid }));
    expect(await resolveRunUuid(named)).toBe(uuid);
  });

  it("hashes files as a stream, optionally only a prefix", async () => {
    const path = join(root, "h.bin");
    const data = Buffer.from("0123456789".repeat(300_000));
    await writeFile(path, data);
    const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
    expect(await digestOfFile(path)).toEqual({ sha256: sha256(data), bytes: data.length });
    expect(await digestOfFile(path, 1234)).toEqual({ sha256: sha256(data.subarray(0, 1234)), bytes: 1234 });
    expect(await digestOfFile(path, 0)).toEqual({ sha256: sha256(Buffer.alloc(0)), bytes: 0 });
  });
});

describe("failures before any transfer (no gateway needed)", () => {
  it("checks options", async () => {
    const { runPath } = await makeRun(root, {});
    await expect(syncRun(runPath, "s3://bkt/p", { concurrency: 0 })).rejects.toBeInstanceOf(InvalidValueError);
    await expect(syncRun(runPath, "s3://bkt/p", { partSizeBytes: 1024 * 1024 })).rejects.toThrow(/5 MiB/);
    await expect(syncRun(runPath, "bkt/p")).rejects.toBeInstanceOf(S3LocationError);
    await expect(materializeS3Run("s3://bkt/p")).rejects.toThrow(/does not name a run/);
  });

  it("an endpoint nobody listens on is S3EndpointUnreachableError, in the library and the CLI", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const endpoint = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    await new Promise((r) => srv.close(r));
    const { runPath } = await makeRun(root, { "run.plx.json": "{}" });
    const credentials = { accessKeyId: "K", secretAccessKey: "S-canary-unit" };
    const err = await syncRun(runPath, "s3://bkt/p", { endpoint, credentials, maxAttempts: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3EndpointUnreachableError);
    expect((err as Error).message).toContain(endpoint);
    expect((err as Error).message).not.toContain("S-canary-unit");

    let errText = "";
    const stderr = Object.assign(new (await import("node:stream")).PassThrough(), { isTTY: false });
    stderr.on("data", (c: Buffer) => (errText += c.toString()));
    // The CLI takes credentials from the environment; any will do, the request never gets an answer.
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID ??= "K";
    process.env.AWS_SECRET_ACCESS_KEY ??= "S";
    let code: number;
    try {
      code = await runSyncCommand([runPath, "s3://bkt/p", "--endpoint", endpoint, "-q"], { stdout: process.stdout, stderr });
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
    expect(code).toBe(1);
    expect(errText).toContain(`could not reach the S3 endpoint ${endpoint}`);
  });
});

describe("the core boundary", () => {
  it("src/store imports the AWS SDK only as types (it is loaded lazily through importPeer)", async () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), "../../src/store");
    for (const name of await readdir(dir)) {
      const src = await readFile(join(dir, name), "utf8");
      for (const m of src.matchAll(/^import\s+(type\s+)?[^;]*?from\s+"(@aws-sdk\/[^"]+|@tensorflow\/[^"]+|onnxruntime[^"]*)"/gms)) {
        expect(m[1], `${name}: ${m[0]}`).toBe("type ");
        expect(m[2]).toMatch(/^@aws-sdk\//);
      }
    }
  });
});

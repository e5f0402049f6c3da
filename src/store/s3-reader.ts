import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm, rename, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ArtifactNotFoundError, PathEscapeError } from "../core/errors.js";
import { S3IntegrityError, S3LocationError, S3RequestError, S3TransferAbortedError } from "./errors.js";
import { writeAtomic } from "./manifest.js";
import { runPool } from "./pool.js";
import { METADATA_FILES, PRIVATE_DIR } from "./run-files.js";
import { createS3Store, type S3Store } from "./s3-client.js";
import { joinKey, parseS3Uri, type S3StoreOptions } from "./s3-location.js";
import { MD5_METADATA_KEY, SHA256_METADATA_KEY } from "./sync.js";
import { readRegularText } from "../core/fs-safe.js";

const UUID_RE = /^[0-9a-f]{32}$/;

/** Options of {@link materializeS3Run}; the {@link S3StoreOptions} fields say how to reach the store. */
export interface MaterializeOptions extends S3StoreOptions {
  /** Root of the local cache. Default: `<os.tmpdir()>/runtrail-cache`. */
  cacheRoot?: string;
  /** The run's uuid when `uri` is the store location (`s3://bucket/prefix`) rather than the run's own. */
  runUuid?: string;
  /** Parallel downloads. Default: 4. */
  concurrency?: number;
  signal?: AbortSignal;
  /** A client to reuse across calls (see `createS3Store`); the store options above are then ignored. */
  store?: S3Store;
  /** Fetch only `run.plx.json` and `lineages.plx.json` (enough to list runs). Default: false. */
  metadataOnly?: boolean;
}

interface CacheEntry {
  etag: string;
  size: number;
}
interface CacheManifest {
  version: 1;
  source: string;
  files: Record<string, CacheEntry>;
}

const inProcess = new Map<string, Promise<unknown>>();

/**
 * Brings a run stored by `syncRun` into a local folder, so local readers (`loadRun`,
 * `readEvents`) can read it, and returns that folder:
 * `<cacheRoot>/<bucket>/<prefix>/<uuid>`. Incremental: objects whose ETag and size did not
 * change since the last call are not downloaded again; objects deleted from the store are
 * removed from the cache. `run.plx.json` and `lineages.plx.json` are fetched before the
 * listing and written into the cache last, so the cache's lineage never points at a file
 * the cache does not have. Each download is checked against the sha256 stored by the sync
 * (or the md5 that earlier versions stored).
 *
 * @param uri `s3://bucket/prefix/<uuid>` (or `s3://bucket/prefix` with `runUuid`).
 * @throws S3LocationError for a location that names no run; the S3 errors of `syncRun`;
 *   S3IntegrityError when a download does not match its recorded digest; PathEscapeError for a key
 *   that would land outside the cache folder.
 */
export async function materializeS3Run(uri: string, opts: MaterializeOptions = {}): Promise<string> {
  const loc = parseS3Uri(uri);
  let prefix = loc.prefix;
  let uuid = opts.runUuid;
  if (uuid === undefined) {
    const segs = prefix.split("/");
    uuid = segs.pop() ?? "";
    prefix = segs.join("/");
  }
  if (!UUID_RE.test(uuid)) {
    throw new S3LocationError(`${uri} does not name a run: expected s3://bucket/prefix/<run uuid, 32 hex> (or pass runUuid)`, uri);
  }
  const runKey = `${joinKey(prefix, uuid)}/`;
  const local = join(opts.cacheRoot ?? join(tmpdir(), "runtrail-cache"), loc.bucket, ...prefix.split("/").filter(Boolean), uuid);
  const before = inProcess.get(local) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(async () => {
    const store = opts.store ?? (await createS3Store(opts));
    try {
      await new RunDownload(store, loc.bucket, runKey, local, opts).run();
      return local;
    } finally {
      if (opts.store === undefined) store.destroy();
    }
  });
  inProcess.set(local, mine);
  try {
    return await mine;
  } finally {
    if (inProcess.get(local) === mine) inProcess.delete(local);
  }
}

class RunDownload {
  constructor(
    private readonly store: S3Store,
    private readonly bucket: string,
    private readonly runKey: string,
    private readonly local: string,
    private readonly opts: MaterializeOptions,
  ) {}

  async run(): Promise<void> {
    const cachePath = join(this.local, PRIVATE_DIR, "cache.json");
    const source = `${this.store.options.displayEndpoint}|${this.bucket}|${this.runKey}`;
    const cache = await readCache(cachePath, source);
    // Metadata first: everything its lineage names was uploaded before it.
    const meta = new Map<string, Buffer | undefined>();
    for (const rel of METADATA_FILES) meta.set(rel, await this.getSmall(this.runKey + rel));

    const listed = new Map<string, { etag: string; size: number }>();
    let token: string | undefined;
    for (let page = 0; page < 100_000 && !this.opts.metadataOnly; page++) {
      const out = await this.store.call("ListObjectsV2", this.bucket, this.runKey, () =>
        this.store.client.send(
          new this.store.sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.runKey, ContinuationToken: token }),
          this.sendOpts(),
        ),
      );
      for (const o of out.Contents ?? []) {
        if (!o.Key || o.Key.endsWith("/")) continue;
        const rel = o.Key.slice(this.runKey.length);
        if (METADATA_FILES.includes(rel)) continue;
        checkRelPath(rel, o.Key);
        listed.set(rel, { etag: (o.ETag ?? "").replace(/"/g, ""), size: o.Size ?? -1 });
      }
      if (!out.IsTruncated || !out.NextContinuationToken) break;
      token = out.NextContinuationToken;
    }
    if (this.opts.metadataOnly) {
      // Data files cached by an earlier full read stay; only the metadata is refreshed.
      for (const rel of Object.keys(cache.files)) listed.set(rel, cache.files[rel]!);
    }
    if (listed.size === 0 && [...meta.values()].every((b) => b === undefined)) {
      const where = `s3://${this.bucket}/${this.runKey.slice(0, -1)}`;
      throw new ArtifactNotFoundError(`no run at ${where}: the store has no objects under it`, where);
    }

    const todo: string[] = [];
    for (const [rel, obj] of listed) {
      const prev = cache.files[rel];
      const size = await stat(join(this.local, rel)).then((s) => s.size, () => -1);
      if (!prev || prev.etag !== obj.etag || prev.size !== obj.size || size !== obj.size) todo.push(rel);
    }
    try {
      await runPool(todo, this.opts.concurrency ?? 4, async (rel) => {
        cache.files[rel] = await this.download(rel);
      }, () => this.opts.signal?.aborted === true);
      if (this.opts.signal?.aborted) throw new S3TransferAbortedError(`download of s3://${this.bucket}/${this.runKey}`, this.opts.signal.reason);
      for (const rel of Object.keys(cache.files)) {
        if (listed.has(rel)) continue;
        await rm(join(this.local, rel), { force: true });
        delete cache.files[rel];
      }
      for (const [rel, body] of meta) {
        if (body === undefined) await rm(join(this.local, rel), { force: true });
        else await writeAtomic(join(this.local, rel), body);
      }
    } finally {
      await writeAtomic(cachePath, JSON.stringify(cache));
    }
  }

  private async download(rel: string): Promise<CacheEntry> {
    const key = this.runKey + rel;
    const out = await this.store.call("GetObject", this.bucket, key, () =>
      this.store.client.send(new this.store.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }), this.sendOpts()),
    );
    const dest = join(this.local, rel);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.runtrail-dl-${randomBytes(4).toString("hex")}`;
    const { algorithm, expected } = recordedDigest(out.Metadata);
    const hash = createHash(algorithm);
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await this.store.call("GetObject", this.bucket, key, () => pipeline(out.Body as Readable, tap, createWriteStream(tmp)));
      const actual = hash.digest("hex");
      if (expected !== undefined && expected !== actual) throw new S3IntegrityError(key, algorithm, expected, actual);
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { etag: (out.ETag ?? "").replace(/"/g, ""), size };
  }

  private async getSmall(key: string): Promise<Buffer | undefined> {
    try {
      const out = await this.store.call("GetObject", this.bucket, key, () =>
        this.store.client.send(new this.store.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }), this.sendOpts()),
      );
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      if (err instanceof S3RequestError && (err.s3Code === "NoSuchKey" || err.status === 404)) return undefined;
      throw err;
    }
  }

  private sendOpts(): { abortSignal?: AbortSignal } {
    return this.opts.signal === undefined ? {} : { abortSignal: this.opts.signal };
  }
}

/** The digest the sync stored on an object: sha256, else the md5 of objects synced by earlier versions. */
function recordedDigest(metadata: Record<string, string> | undefined): { algorithm: "sha256" | "md5"; expected: string | undefined } {
  const sha256 = metadata?.[SHA256_METADATA_KEY];
  if (sha256 !== undefined) return { algorithm: "sha256", expected: sha256 };
  const md5 = metadata?.[MD5_METADATA_KEY];
  return md5 !== undefined ? { algorithm: "md5", expected: md5 } : { algorithm: "sha256", expected: undefined };
}

async function readCache(path: string, source: string): Promise<CacheManifest> {
  try {
    const c = JSON.parse(await readRegularText(path, "reading the S3 cache manifest")) as CacheManifest;
    if (c.version === 1 && c.source === source && c.files && typeof c.files === "object") return c;
  } catch {
    // missing or unreadable: start over, which only costs downloads
  }
  return { version: 1, source, files: {} };
}

function checkRelPath(rel: string, key: string): void {
  const segs = rel.split("/");
  if (rel === "" || segs.some((s) => s === "" || s === "." || s === "..") || segs[0] === PRIVATE_DIR || rel.includes("\\")) {
    throw new PathEscapeError(`object key ${key} cannot be stored inside the local run cache (empty, "." or ".." segment, or runtrail's private folder)`, key);
  }
}

import type { Stats } from "node:fs";
import { lstat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { InvalidValueError } from "../core/errors.js";
import { contentTypeFor } from "./content-type.js";
import { S3TransferAbortedError } from "./errors.js";
import { contentMd5, digestOfBuffer, digestOfFile, type FileDigest } from "./file-hash.js";
import { ManifestWriter, manifestPath, readManifest, type SyncManifestEntry } from "./manifest.js";
import { runPool } from "./pool.js";
import { isGone, listRunFiles, METADATA_FILES, resolveRunUuid, type RunFile } from "./run-files.js";
import { createS3Store, type S3Store } from "./s3-client.js";
import { joinKey, parseS3Uri, storeKey, type S3Location, type S3StoreOptions } from "./s3-location.js";
import { acquireSyncLock } from "./sync-lock.js";
import { openRegular } from "../core/fs-safe.js";

const MiB = 1024 * 1024;
/** Default part size of multipart uploads: 8 MiB. */
export const DEFAULT_PART_SIZE = 8 * MiB;
/** Default number of requests in flight: 4. */
export const DEFAULT_CONCURRENCY = 4;
// Large reads make the upload stream much cheaper than the 64 KiB default (fewer chunks for
// lib-storage to gather into parts): about a third less client CPU per byte, measured.
const READ_CHUNK = 4 * MiB;
/** Object metadata key holding the sha256 (hex) of the whole file: header `x-amz-meta-runtrail-sha256`. */
export const SHA256_METADATA_KEY = "runtrail-sha256";
/** Metadata key of the md5 (hex) that earlier runtrail versions wrote; still checked when reading their objects. */
export const MD5_METADATA_KEY = "runtrail-md5";

/** Progress of a {@link syncRun}, reported after each part or file. */
export interface SyncProgress {
  /** Bytes of changed files sent so far (parts of files still in flight included). */
  bytesSent: number;
  /** Bytes of the files that need sending (shrinks when a file turns out unchanged once hashed). */
  bytesTotal: number;
  filesSent: number;
  /** Files that need sending. */
  filesTotal: number;
  filesSkipped: number;
  /** The file a part or the whole of which was just sent. */
  file?: string;
}

/** Options of {@link syncRun}; the {@link S3StoreOptions} fields say how to reach the store. */
export interface SyncOptions extends S3StoreOptions {
  /** Called after each part or file; must not throw (a throw fails the sync). */
  onProgress?: (progress: SyncProgress) => void;
  /** Cancels the sync; files completed before are recorded, the rest are sent next time. */
  signal?: AbortSignal;
  /** Requests in flight: parallel small files, and parts per multipart upload. Default: 4. */
  concurrency?: number;
  /**
   * Part size of multipart uploads, at least 5 MiB. Files larger than this go multipart.
   * Memory stays under about `(concurrency + 1) × partSizeBytes` per phase. Default: 8 MiB.
   */
  partSizeBytes?: number;
  /** Delete objects this sync sent earlier whose local file is gone (e.g. pruned checkpoints). Default: true. */
  deleteRemoved?: boolean;
  /** Ignore the manifest and send every file again. Default: false. */
  force?: boolean;
  /** A client to reuse across calls (see `createS3Store`); the store options above are then ignored. */
  store?: S3Store;
}

/** What one {@link syncRun} did. */
export interface SyncReport {
  /** `s3://bucket/<prefix>/<uuid>`: where the run's objects are. */
  uri: string;
  runUuid: string;
  filesSent: number;
  bytesSent: number;
  /** Files not sent because they had not changed since the last sync. */
  filesSkipped: number;
  /** Files sent as multipart uploads, and their parts. */
  filesMultipart: number;
  partsSent: number;
  filesDeleted: number;
  /** Files sent while they were being written to: not recorded, so they are sent again next time. */
  filesChangedDuringSync: number;
  /** Multipart uploads left by an interrupted sync and aborted by this one. */
  uploadsAborted: number;
  /** Entries not synced: symlinks, sockets… (paths relative to the run). */
  ignored: string[];
  durationMs: number;
}

/**
 * Sends a run folder to `s3://bucket/prefix`, under `<prefix>/<run uuid>/<relative path>`.
 *
 * Incremental and resumable: a manifest in `<run>/.runtrail/sync/` records every file sent
 * (size, mtime, sha256, ETag) as soon as it completes, so an unchanged file is never sent twice
 * and an interrupted sync sends only the rest when called again. Files that grow (event
 * files) are sent again. Files larger than `partSizeBytes` go multipart, streamed from disk.
 * `lineages.plx.json` and `run.plx.json` go last, so a reader never sees lineage pointing at
 * a missing object. Safe to call repeatedly on a live run: a file that changes while it is
 * sent is not recorded and is sent again next time. Calls for the same run and store take turns.
 *
 * @param uri `s3://bucket` or `s3://bucket/prefix`.
 * @throws S3AuthError, S3BucketNotFoundError, S3EndpointUnreachableError, S3AccessDeniedError,
 *   S3RequestError, S3TransferAbortedError, S3SyncBusyError, MissingPeerDependencyError.
 * @example
 * const report = await syncRun("plx/runs/0123…", "s3://ml-runs/team-a", { endpoint: "http://127.0.0.1:7480" });
 */
export async function syncRun(runPath: string, uri: string, opts: SyncOptions = {}): Promise<SyncReport> {
  const started = performance.now();
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new InvalidValueError(`concurrency must be an integer from 1 to 64, got ${String(concurrency)}`, concurrency);
  }
  const partSize = opts.partSizeBytes ?? DEFAULT_PART_SIZE;
  if (!Number.isInteger(partSize) || partSize < 5 * MiB || partSize > 5 * 1024 * MiB) {
    throw new InvalidValueError(`partSizeBytes must be an integer from 5 MiB to 5 GiB, got ${String(partSize)}`, partSize);
  }
  const loc = parseS3Uri(uri);
  const uuid = await resolveRunUuid(runPath);
  if (opts.signal?.aborted) throw new S3TransferAbortedError(`sync of ${runPath}`, opts.signal.reason);
  const store = opts.store ?? (await createS3Store(opts));
  try {
    const sync = new RunSync(store, loc, runPath, uuid, concurrency, partSize, opts);
    const report = await sync.run();
    report.durationMs = performance.now() - started;
    return report;
  } finally {
    if (opts.store === undefined) store.destroy();
  }
}

class RunSync {
  private readonly runKey: string;
  private readonly report: SyncReport;
  private readonly progress: SyncProgress = { bytesSent: 0, bytesTotal: 0, filesSent: 0, filesTotal: 0, filesSkipped: 0 };
  private readonly ctl = new AbortController();
  private writer!: ManifestWriter;
  private callbackError: unknown;

  constructor(
    private readonly store: S3Store,
    private readonly loc: S3Location,
    private readonly runPath: string,
    uuid: string,
    private readonly concurrency: number,
    private readonly partSize: number,
    private readonly opts: SyncOptions,
  ) {
    this.runKey = `${joinKey(loc.prefix, uuid)}/`;
    this.report = {
      uri: `s3://${loc.bucket}/${joinKey(loc.prefix, uuid)}`,
      runUuid: uuid,
      filesSent: 0,
      bytesSent: 0,
      filesSkipped: 0,
      filesMultipart: 0,
      partsSent: 0,
      filesDeleted: 0,
      filesChangedDuringSync: 0,
      uploadsAborted: 0,
      ignored: [],
      durationMs: 0,
    };
  }

  async run(): Promise<SyncReport> {
    const key = storeKey(this.store.options.displayEndpoint, this.loc);
    const mPath = manifestPath(this.runPath, key);
    const release = await acquireSyncLock(mPath.replace(/\.json$/, ".lock"));
    const onAbort = (): void => this.ctl.abort(this.opts.signal?.reason);
    this.opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const manifest = await readManifest(mPath, {
        endpoint: this.store.options.displayEndpoint,
        bucket: this.loc.bucket,
        runKey: this.runKey,
      });
      if (this.opts.force) manifest.files = {};
      this.writer = new ManifestWriter(mPath, manifest);
      try {
        await this.transfer();
        await this.writer.setMultipartInFlight(false);
      } catch (err) {
        // Keep what completed; the transfer error matters more than a failed manifest write.
        await this.writer.flush().catch(() => undefined);
        if (this.ctl.signal.aborted && !(err instanceof S3TransferAbortedError) && err !== this.callbackError) {
          throw new S3TransferAbortedError(`sync of ${this.runPath}`, err);
        }
        throw err;
      }
      await this.writer.flush();
      return this.report;
    } finally {
      this.opts.signal?.removeEventListener("abort", onAbort);
      await release();
    }
  }

  private async transfer(): Promise<void> {
    // Fails fast with a named error (credentials, bucket, endpoint) before reading any file.
    await this.send("ListObjectsV2", undefined, (s) => this.store.client.send(new this.store.sdk.ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: this.runKey, MaxKeys: 1 }), s));
    if (this.writer.manifest.multipartInFlight) await this.abortDanglingUploads();

    // Metadata is read before the folder is listed: every file its lineage names was complete
    // before the lineage was written, so it is in the listing and is uploaded before it.
    const meta = await this.snapshotMetadata();
    const listed = await listRunFiles(this.runPath);
    const ignored = listed.ignored;
    const files = [...listed.files.filter((f) => !METADATA_FILES.includes(f.rel)), ...[...meta.values()].map((m) => m.file)];
    this.report.ignored = ignored;
    const todo: RunFile[] = [];
    for (const f of files) {
      const prev = this.writer.manifest.files[f.rel];
      if (prev && prev.size === f.size && prev.mtimeMs === f.mtimeMs) this.report.filesSkipped++;
      else todo.push(f);
    }
    this.progress.filesSkipped = this.report.filesSkipped;
    this.progress.filesTotal = todo.length;
    this.progress.bytesTotal = todo.reduce((n, f) => n + f.size, 0);
    this.emit();

    const data = todo.filter((f) => !meta.has(f.rel));
    const small = data.filter((f) => f.size <= this.partSize);
    const large = data.filter((f) => f.size > this.partSize).sort((a, b) => a.size - b.size);
    const metaTodo = METADATA_FILES.flatMap((rel) => todo.filter((f) => f.rel === rel));

    // Hash each large file while the previous one uploads: hashing overlaps the transfer instead
    // of delaying it (it still costs CPU, which matters when the store runs on the same machine).
    const digests = new Map<RunFile, Promise<FileDigest | undefined>>();
    const hashAhead = (f: RunFile | undefined): void => {
      if (!f || digests.has(f)) return;
      const p = digestOfFile(f.abs, f.size, this.ctl.signal).catch((err: unknown) => {
        if (isGone(err)) return undefined;
        throw err;
      });
      p.catch(() => undefined); // awaited later, or abandoned when the sync stops early
      digests.set(f, p);
    };
    hashAhead(large[0]);
    const stop = (): boolean => this.ctl.signal.aborted || this.callbackError !== undefined;
    await runPool(small, this.concurrency, (f) => this.sendSmall(f), stop);
    await runPool(large, 1, async (f) => {
      hashAhead(f);
      hashAhead(large[large.indexOf(f) + 1]);
      await this.sendLarge(f, digests.get(f)!);
    }, stop);
    await runPool(metaTodo, 1, (f) => this.sendSmall(f, meta.get(f.rel)), stop);
    this.throwIfStopped();

    if (this.opts.deleteRemoved ?? true) {
      const present = new Set([...files.map((f) => f.rel), ...ignored]);
      const gone = Object.keys(this.writer.manifest.files).filter((rel) => !present.has(rel));
      await runPool(gone, this.concurrency, async (rel) => {
        await this.send("DeleteObject", this.runKey + rel, (s) => this.store.client.send(new this.store.sdk.DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.runKey + rel }), s));
        this.writer.delete(rel);
        this.report.filesDeleted++;
      }, stop);
      this.throwIfStopped();
    }
  }

  /** `run.plx.json` and `lineages.plx.json` as they are now (small JSON files, read whole). */
  private async snapshotMetadata(): Promise<Map<string, ReadFile>> {
    const out = new Map<string, ReadFile>();
    for (const rel of METADATA_FILES) {
      const abs = join(this.runPath, rel);
      const st = await statOrUndefined(abs);
      if (!st?.isFile()) continue;
      const file: RunFile = { rel, abs, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
      const read = await this.readWhole(file);
      if (read) out.set(rel, read);
    }
    return out;
  }

  /** Reads a file whole; `stable` says whether it is still the version `f` describes. Undefined if it vanished. */
  private async readWhole(f: RunFile): Promise<ReadFile | undefined> {
    let buf: Buffer;
    try {
      // Opened without blocking: a file swapped for a FIFO since the scan is refused, not waited on.
      const fh = await openRegular(f.abs, "r", "syncing the run");
      try {
        buf = await fh.readFile({ signal: this.ctl.signal });
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
    return { file: f, buf, stable: sameVersion(f, await statOrUndefined(f.abs), buf.length) };
  }

  /** Files up to one part: read whole (bounded by the part size), hashed, one PutObject with Content-MD5. */
  private async sendSmall(f: RunFile, preRead?: ReadFile): Promise<void> {
    const read = preRead ?? (await this.readWhole(f));
    if (!read) return this.vanished(f);
    const { buf, stable } = read;
    const sha256 = digestOfBuffer(buf);
    if (this.unchangedContent(f, sha256, buf.length, stable)) return;
    const key = this.runKey + f.rel;
    const out = await this.send("PutObject", key, (s) =>
      this.store.client.send(
        new this.store.sdk.PutObjectCommand({
          Bucket: this.loc.bucket,
          Key: key,
          Body: buf,
          ContentLength: buf.length,
          ContentMD5: contentMd5(buf),
          ContentType: contentTypeFor(f.rel),
          Metadata: { [SHA256_METADATA_KEY]: sha256 },
        }),
        s,
      ),
    );
    const etag = normalizeEtag(out.ETag) || (await this.head(key)).etag;
    this.sent(f, buf.length, 0, stable, { size: buf.length, mtimeMs: f.mtimeMs, sha256, etag, multipart: false, syncedAt: new Date().toISOString() });
  }

  /** Larger files: sha256 in a streaming pass (done ahead), then lib-storage's multipart `Upload` from a file stream. */
  private async sendLarge(f: RunFile, digestPromise: Promise<FileDigest | undefined>): Promise<void> {
    const digest = await digestPromise;
    if (!digest) return this.vanished(f);
    if (digest.bytes !== f.size) return this.changed(f); // shrank since the scan: a rewrite in progress
    if (this.unchangedContent(f, digest.sha256, f.size, sameVersion(f, await statOrUndefined(f.abs), f.size))) return;
    let fh: FileHandle;
    try {
      // Opened without blocking: a file swapped for a FIFO since the scan is refused, not waited on.
      fh = await openRegular(f.abs, "r", "syncing the run");
    } catch (err) {
      if (isGone(err)) return this.vanished(f);
      throw err;
    }
    try {
      await this.uploadLarge(f, digest, fh);
    } finally {
      await fh.close();
    }
  }

  private async uploadLarge(f: RunFile, digest: FileDigest, fh: FileHandle): Promise<void> {
    await this.writer.setMultipartInFlight(true);
    const key = this.runKey + f.rel;
    const uploadCtl = new AbortController();
    const onAbort = (): void => uploadCtl.abort(this.ctl.signal.reason);
    this.ctl.signal.addEventListener("abort", onAbort, { once: true });
    const upload = new this.store.storage.Upload({
      client: this.store.client,
      params: {
        Bucket: this.loc.bucket,
        Key: key,
        // `end` pins the bytes to those hashed even if the file grows meanwhile.
        Body: fh.createReadStream({ start: 0, end: f.size - 1, highWaterMark: READ_CHUNK, autoClose: false }),
        ContentType: contentTypeFor(f.rel),
        Metadata: { [SHA256_METADATA_KEY]: digest.sha256 },
      },
      queueSize: this.concurrency,
      partSize: this.partSize,
      leavePartsOnError: false,
      abortController: uploadCtl,
    });
    let loaded = 0;
    upload.on("httpUploadProgress", (p) => {
      const now = p.loaded ?? loaded;
      this.progress.bytesSent += now - loaded;
      loaded = now;
      this.progress.file = f.rel;
      this.emit();
    });
    try {
      await this.send("Upload", key, () => upload.done());
    } finally {
      this.ctl.signal.removeEventListener("abort", onAbort);
    }
    const multipart = upload.uploadId !== undefined;
    const head = await this.head(key);
    // A file cut short while it was read leaves a short object: send it again next time.
    if (head.size !== f.size || (head.sha256 !== undefined && head.sha256 !== digest.sha256)) {
      this.progress.bytesSent -= loaded;
      return this.changed(f);
    }
    const stable = sameVersion(f, await statOrUndefined(f.abs), f.size);
    if (multipart) {
      this.report.filesMultipart++;
      this.report.partsSent += Math.ceil(f.size / this.partSize);
    }
    this.sent(f, f.size, loaded, stable, { size: f.size, mtimeMs: f.mtimeMs, sha256: digest.sha256, etag: head.etag, multipart, syncedAt: new Date().toISOString() });
  }

  /** Same bytes as last time (only the mtime moved): refresh the entry, send nothing. */
  private unchangedContent(f: RunFile, sha256: string, size: number, stable: boolean): boolean {
    const prev = this.writer.manifest.files[f.rel];
    if (!prev || prev.sha256 !== sha256 || prev.size !== size) return false;
    if (stable) this.writer.set(f.rel, { ...prev, mtimeMs: f.mtimeMs });
    this.report.filesSkipped++;
    this.progress.filesSkipped++;
    this.progress.filesTotal--;
    this.progress.bytesTotal -= f.size;
    this.emit();
    return true;
  }

  private sent(f: RunFile, bytes: number, alreadyCounted: number, stable: boolean, entry: SyncManifestEntry): void {
    this.report.filesSent++;
    this.report.bytesSent += bytes;
    if (stable) this.writer.set(f.rel, entry);
    else this.report.filesChangedDuringSync++;
    this.progress.filesSent++;
    this.progress.bytesSent += bytes - alreadyCounted;
    this.progress.bytesTotal += bytes - f.size;
    this.progress.file = f.rel;
    this.emit();
  }

  private vanished(f: RunFile): void {
    this.progress.filesTotal--;
    this.progress.bytesTotal -= f.size;
    this.emit();
  }

  private changed(f: RunFile): void {
    this.report.filesChangedDuringSync++;
    this.vanished(f);
  }

  private async head(key: string): Promise<{ etag: string; size: number | undefined; sha256: string | undefined }> {
    const out = await this.send("HeadObject", key, (s) => this.store.client.send(new this.store.sdk.HeadObjectCommand({ Bucket: this.loc.bucket, Key: key }), s));
    return { etag: normalizeEtag(out.ETag), size: out.ContentLength, sha256: out.Metadata?.[SHA256_METADATA_KEY] };
  }

  private async abortDanglingUploads(): Promise<void> {
    const { client, sdk } = this.store;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let page = 0; page < 100; page++) {
      const out = await this.send("ListMultipartUploads", undefined, (s) =>
        client.send(new sdk.ListMultipartUploadsCommand({ Bucket: this.loc.bucket, Prefix: this.runKey, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }), s),
      );
      for (const u of out.Uploads ?? []) {
        if (!u.Key || !u.UploadId) continue;
        await this.send("AbortMultipartUpload", u.Key, (s) =>
          client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.loc.bucket, Key: u.Key, UploadId: u.UploadId }), s),
        );
        this.report.uploadsAborted++;
      }
      if (!out.IsTruncated) return;
      keyMarker = out.NextKeyMarker;
      uploadIdMarker = out.NextUploadIdMarker;
    }
  }

  private send<T>(operation: string, key: string | undefined, fn: (opts: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> {
    return this.store.call(operation, this.loc.bucket, key, () => fn({ abortSignal: this.ctl.signal }));
  }

  private emit(): void {
    if (!this.opts.onProgress || this.callbackError !== undefined) return;
    try {
      this.opts.onProgress({ ...this.progress });
    } catch (err) {
      this.callbackError = err;
    }
  }

  private throwIfStopped(): void {
    if (this.callbackError !== undefined) throw this.callbackError;
    if (this.ctl.signal.aborted) throw new S3TransferAbortedError(`sync of ${this.runPath}`, this.ctl.signal.reason);
  }
}

/** A file read whole, and whether it did not change while it was read. */
interface ReadFile {
  file: RunFile;
  buf: Buffer;
  stable: boolean;
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

/** The file is still the version the scan saw, and `bytes` (what was read) is all of it. */
function sameVersion(f: RunFile, now: Stats | undefined, bytes: number): boolean {
  return now !== undefined && now.ino === f.ino && now.mtimeMs === f.mtimeMs && now.size === f.size && bytes === f.size;
}

function normalizeEtag(etag: string | undefined): string {
  return (etag ?? "").replace(/^"|"$/g, "");
}

/** Exposed for tests: where a run's manifest for a store lives. */
export function syncManifestPath(runPath: string, displayEndpoint: string, uri: string): string {
  return manifestPath(runPath, storeKey(displayEndpoint, parseS3Uri(uri)));
}

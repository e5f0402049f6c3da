import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { RunWriteError } from "../core/errors.js";
import { PRIVATE_DIR } from "./run-files.js";
import { readRegularText } from "../core/fs-safe.js";

/** What the manifest remembers about one file that was sent completely. */
export interface SyncManifestEntry {
  /** Bytes sent. */
  size: number;
  /** The file's mtime when it was read for sending; a different mtime means "hash again". */
  mtimeMs: number;
  /**
   * Lowercase hex sha256 of the bytes sent (also stored on the object as metadata
   * `runtrail-sha256`). Absent on entries carried over from a version-1 manifest (which
   * recorded an md5): such a file is skipped while its size and mtime match, and sent again
   * once its mtime moves.
   */
  sha256?: string;
  /** ETag from HeadObject/PutObject after the upload; `""` when the server returned none. */
  etag: string;
  /** Whether the object was sent as a multipart upload. */
  multipart: boolean;
  /** ISO time the upload finished. */
  syncedAt: string;
}

/** Where a manifest's objects live (no credentials, ever). */
export interface ManifestStore {
  endpoint: string;
  bucket: string;
  /** Key prefix of the run's objects, ending with `/`: `<prefix>/<uuid>/`. */
  runKey: string;
}

/** Contents of `<run>/.runtrail/sync/<store-key>.json`. Version 1 recorded md5s; version 2 records sha256s. */
export interface SyncManifest {
  version: 2;
  store: ManifestStore;
  /** Per path relative to the run folder (with `/`). */
  files: Record<string, SyncManifestEntry>;
  /** Set before a multipart upload starts and cleared after a sync ends; if still set, the next sync looks for dangling uploads. */
  multipartInFlight?: boolean;
}

/** `<run>/.runtrail/sync/<key>.json` */
export function manifestPath(runPath: string, key: string): string {
  return join(runPath, PRIVATE_DIR, "sync", `${key}.json`);
}

/**
 * Reads a manifest; a missing, unreadable or foreign one (other store) gives an empty manifest,
 * which only costs re-sending files, never skipping one that was not sent. A version-1 manifest
 * is upgraded in memory: its entries lose their md5 (see {@link SyncManifestEntry.sha256}).
 */
export async function readManifest(path: string, store: ManifestStore): Promise<SyncManifest> {
  const empty: SyncManifest = { version: 2, store, files: {} };
  let raw: string;
  try {
    raw = await readRegularText(path, "reading the sync manifest");
  } catch {
    return empty;
  }
  try {
    const m = JSON.parse(raw) as Omit<SyncManifest, "version"> & { version: unknown };
    const same =
      (m?.version === 1 || m?.version === 2) &&
      m.store?.endpoint === store.endpoint &&
      m.store.bucket === store.bucket &&
      m.store.runKey === store.runKey;
    if (!same || typeof m.files !== "object" || m.files === null) return empty;
    if (m.version === 1) {
      for (const e of Object.values(m.files) as Array<SyncManifestEntry & { md5?: string }>) delete e.md5;
    }
    return { ...m, version: 2 };
  } catch {
    return empty;
  }
}

/**
 * Holds a manifest in memory and persists it atomically (temp file + rename) after changes.
 * Writes are coalesced: at most one in flight, and the latest state always ends up on disk.
 */
export class ManifestWriter {
  readonly manifest: SyncManifest;
  private readonly path: string;
  private dirty = false;
  private writing: Promise<void> | undefined;
  private error: unknown;

  constructor(path: string, manifest: SyncManifest) {
    this.path = path;
    this.manifest = manifest;
  }

  /** Records a file as sent and schedules a write. */
  set(rel: string, entry: SyncManifestEntry): void {
    this.manifest.files[rel] = entry;
    this.schedule();
  }

  /** Forgets a file (it was deleted remotely) and schedules a write. */
  delete(rel: string): void {
    delete this.manifest.files[rel];
    this.schedule();
  }

  /** Sets or clears the multipart-in-flight flag and waits until it is on disk. */
  async setMultipartInFlight(on: boolean): Promise<void> {
    if (Boolean(this.manifest.multipartInFlight) === on) return;
    if (on) this.manifest.multipartInFlight = true;
    else delete this.manifest.multipartInFlight;
    this.schedule();
    await this.flush();
  }

  /**
   * Resolves when every change made so far is on disk.
   *
   * @throws RunWriteError when the manifest could not be written.
   */
  async flush(): Promise<void> {
    while (this.writing && this.error === undefined) await this.writing;
    if (this.error !== undefined) {
      throw new RunWriteError(`could not write the sync manifest ${this.path}`, this.path, this.error);
    }
  }

  private schedule(): void {
    this.dirty = true;
    if (this.writing || this.error !== undefined) return;
    this.writing = this.writeLoop()
      .catch((err: unknown) => {
        this.error = err;
      })
      .finally(() => {
        this.writing = undefined;
      });
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      await writeAtomic(this.path, JSON.stringify(this.manifest));
    }
  }
}

/** Writes `data` to a temp file next to `path`, then renames it over `path`. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

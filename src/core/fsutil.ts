import { createHash, randomBytes, type Hash } from "node:crypto";
import { closeSync, constants as fsConstants, fsyncSync, openSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { dirname, join } from "node:path";
import fse from "fs-extra";

/**
 * Writes `data` to `path` through a temporary file in the same folder and a rename, so a
 * reader (or a process killed midway) only ever sees the old or the new content.
 * Synchronous on purpose: it also runs from `process.on("exit")`.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Feeds a file's bytes into `hash`, 1 MiB at a time. */
async function hashInto(hash: Hash, path: string): Promise<void> {
  const fh = await fsp.open(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

/** Polyaxon's `hash_file`: md5 of the bytes, first 12 hex characters. Streams the file. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash("md5");
  await hashInto(hash, path);
  return hash.digest("hex").slice(0, 12);
}

/** Synchronous `hashFile`, for small files. */
export function hashFileSync(path: string): string {
  const hash = createHash("md5");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex").slice(0, 12);
}

/**
 * Polyaxon's `hash_dir`: one md5 over the bytes of every file below `dir`. Python walks in
 * file-system order, which is not reproducible; we walk in sorted order so the same folder
 * always gives the same hash.
 */
export async function hashDir(dir: string): Promise<string> {
  const hash = createHash("md5");
  for (const file of await listFilesSorted(dir)) await hashInto(hash, file);
  return hash.digest("hex").slice(0, 12);
}

export async function hashPath(path: string): Promise<string> {
  return (await fsp.stat(path)).isDirectory() ? hashDir(path) : hashFile(path);
}

async function listFilesSorted(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFilesSorted(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Total size in bytes of a file or of every file below a folder. */
export async function pathSize(path: string): Promise<number> {
  const st = await fsp.stat(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const f of await listFilesSorted(path)) total += (await fsp.stat(f)).size;
  return total;
}

/**
 * Copies a file or folder (folders recursively, symlinks dereferenced). Files are copied with
 * `copyFile` and `COPYFILE_FICLONE`, like `cp --reflink=auto`: a reflink where the file system
 * has them, otherwise an in-kernel copy (copy_file_range), never through JS buffers.
 * `dest` must not exist (callers copy into fresh staging paths).
 */
export async function copyPath(src: string, dest: string): Promise<void> {
  const st = await fsp.stat(src);
  if (!st.isDirectory()) {
    // COPYFILE_EXCL also stops libuv from ftruncate(dest, 0): on ext4 a truncate to 0 makes
    // close() allocate and start writeback of every delayed block (auto_da_alloc), ~0.4 s/GB.
    await fsp.copyFile(src, dest, fsConstants.COPYFILE_FICLONE | fsConstants.COPYFILE_EXCL);
    return;
  }
  await fsp.mkdir(dest, { recursive: true });
  for (const e of await fsp.readdir(src)) await copyPath(join(src, e), join(dest, e));
}

/** Moves a file or folder; across file systems it copies then removes the source. */
export async function movePath(src: string, dest: string): Promise<void> {
  await fse.move(src, dest, { overwrite: true });
}

/** `fsync` a file by path (best effort on folders). */
export function fsyncPath(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders; durability then rests on the rename.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

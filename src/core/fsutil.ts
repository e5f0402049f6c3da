import type { Hash } from "node:crypto";
import { constants as fsConstants, createWriteStream, existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { dirname, join } from "node:path";
import { NotRegularFileError } from "./errors.js";
import { fileTypeOf, openRegular, statFileOrDir } from "./fs-safe.js";
import { lazyCrypto, lazyStreamPromises } from "./builtins.js";

/**
 * Writes `data` to `path` through a temporary file in the same folder and a rename, so a
 * reader (or a process killed midway) only ever sees the old or the new content.
 * Synchronous on purpose: it also runs from `process.on("exit")`.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${lazyCrypto().randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Feeds a regular file's bytes into `hash`, 1 MiB at a time. */
async function hashInto(hash: Hash, path: string): Promise<void> {
  const fh = await openRegular(path, "r", "hashing");
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

/** {@link hashFile} of bytes already in memory (a file runtrail has just written). */
export function hashBytes(data: string | Uint8Array): string {
  return lazyCrypto().createHash("md5").update(data).digest("hex").slice(0, 12);
}

/** Polyaxon's `hash_file`: md5 of the bytes, first 12 hex characters. Streams the file. */
export async function hashFile(path: string): Promise<string> {
  const hash = lazyCrypto().createHash("md5");
  await hashInto(hash, path);
  return hash.digest("hex").slice(0, 12);
}

/**
 * Polyaxon's `hash_dir`: one md5 over the bytes of every file below `dir`. Python walks in
 * file-system order, which is not reproducible; we walk in sorted order so the same folder
 * always gives the same hash.
 */
export async function hashDir(dir: string): Promise<string> {
  const hash = lazyCrypto().createHash("md5");
  for (const file of await listFilesSorted(dir)) await hashInto(hash, file);
  return hash.digest("hex").slice(0, 12);
}

/**
 * `hashDir` of a folder, `hashFile` of a file (symlinks followed).
 * @throws NotRegularFileError when it is, or holds, a FIFO, socket or device.
 */
export async function hashPath(path: string): Promise<string> {
  return (await statFileOrDir(path, "hashing")).isDirectory() ? hashDir(path) : hashFile(path);
}

/**
 * The files below `dir` in sorted order, symlinks followed like the copy follows them.
 * @throws NotRegularFileError for an entry that is a FIFO, socket or device: it cannot be copied or hashed.
 */
async function listFilesSorted(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readFolder(dir, "listing")).sort()) {
    const p = join(dir, name);
    if ((await statFileOrDir(p, "listing")).isDirectory()) out.push(...(await listFilesSorted(p)));
    else out.push(p);
  }
  return out;
}

/** `readdir`, where a folder swapped for something else since it was checked is a NotRegularFileError. */
async function readFolder(dir: string, context: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOTDIR") throw err;
    throw new NotRegularFileError(dir, fileTypeOf(await fsp.stat(dir)), context, "a folder");
  }
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
 * Copies a regular file or a folder of them (folders recursively, symlinks dereferenced). Files
 * are copied with `copyFile` and `COPYFILE_FICLONE`, like `cp --reflink=auto`: a reflink where
 * the file system has them, otherwise an in-kernel copy (copy_file_range), never through JS
 * buffers. `dest` must not exist (callers copy into fresh staging paths).
 * @param context who copies, for the error message (e.g. `"logArtifact"`).
 * @throws NotRegularFileError when `src` is, holds or becomes a FIFO, socket or device; nothing blocks.
 */
export async function copyPath(src: string, dest: string, context = "copying"): Promise<void> {
  const st = await statFileOrDir(src, context);
  if (st.isDirectory()) {
    const names = await readFolder(src, context);
    await fsp.mkdir(dest, { recursive: true });
    for (const name of names) await copyPath(join(src, name), join(dest, name), context);
    return;
  }
  // Opened without blocking and checked on the descriptor, then copied from that descriptor:
  // a path swapped for a FIFO after the check cannot make the copy wait forever.
  const fh = await openRegular(src, "r", context);
  try {
    await copyOpenFile(fh, dest);
  } finally {
    await fh.close();
  }
}

/** Where the kernel names an open descriptor by path (Linux): `copyFile` can then reflink from it. */
const PROC_FD = existsSync("/proc/self/fd") ? "/proc/self/fd" : undefined;

async function copyOpenFile(fh: fsp.FileHandle, dest: string): Promise<void> {
  if (PROC_FD) {
    // COPYFILE_EXCL also stops libuv from ftruncate(dest, 0): on ext4 a truncate to 0 makes
    // close() allocate and start writeback of every delayed block (auto_da_alloc), ~0.4 s/GB.
    await fsp.copyFile(`${PROC_FD}/${fh.fd}`, dest, fsConstants.COPYFILE_FICLONE | fsConstants.COPYFILE_EXCL);
    return;
  }
  await lazyStreamPromises().pipeline(fh.createReadStream({ autoClose: false, start: 0 }), createWriteStream(dest, { flags: "wx" }));
}

/**
 * @module
 * Reading files that are regular files, and nothing else, without ever blocking on the way.
 *
 * A FIFO (`/dev/stdin`, `<(cmd)`), a socket or a device in a path runtrail reads would block a
 * thread forever in `open()` or `read()`, or never reach end of file (`/dev/zero`). Every path
 * a user gives, and every file of a run folder, is opened through these functions: the path is
 * `stat`ed (which never blocks), then opened with `O_NONBLOCK | O_NOCTTY` and checked once more
 * with `fstat` on the descriptor, so a path swapped for a FIFO between the check and the open is
 * refused too. `O_NONBLOCK` changes nothing for regular files.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from "node:fs";
import * as fsp from "node:fs/promises";
import { resolve, sep } from "node:path";
import { NotRegularFileError } from "./errors.js";

/** The open modes a run needs: read, read-write, append (creating), read-append (creating). */
export type RegularOpenFlags = "r" | "r+" | "a" | "a+";

const NONBLOCK = (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
const FLAGS: Record<RegularOpenFlags, number> = {
  r: constants.O_RDONLY,
  "r+": constants.O_RDWR,
  a: constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
  "a+": constants.O_RDWR | constants.O_APPEND | constants.O_CREAT,
};

/** What a path is, in words for an error message: "regular file", "folder", "FIFO (named pipe)", "socket"… */
export function fileTypeOf(st: Stats): string {
  if (st.isFile()) return "regular file";
  if (st.isDirectory()) return "folder";
  if (st.isFIFO()) return "FIFO (named pipe)";
  if (st.isSocket()) return "socket";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  if (st.isSymbolicLink()) return "symbolic link";
  return "special file";
}

/**
 * `stat`s `path` (following symlinks) and returns it when it is a regular file or a folder.
 * @param context who is asking, for the error message (e.g. `"logArtifact"`).
 * @throws NotRegularFileError for a FIFO, socket or device (or a symlink to one); the `stat` error (ENOENT…) as it is.
 */
export async function statFileOrDir(path: string, context = "reading"): Promise<Stats> {
  return checkFileOrDir(path, await fsp.stat(path), context);
}

/** Synchronous {@link statFileOrDir}. */
export function statFileOrDirSync(path: string, context = "reading"): Stats {
  return checkFileOrDir(path, statSync(path), context);
}

/**
 * Throws unless `path` is a regular file or a folder (symlinks followed). Never blocks.
 * @throws NotRegularFileError; the `stat` error (ENOENT…) as it is.
 */
export function assertFileOrDir(path: string, context = "reading"): void {
  statFileOrDirSync(path, context);
}

function checkFileOrDir(path: string, st: Stats, context: string): Stats {
  if (!st.isFile() && !st.isDirectory()) throw new NotRegularFileError(path, fileTypeOf(st), context);
  return st;
}

/**
 * Opens a regular file without blocking, even when `path` is (or becomes) a FIFO or a device.
 * With `"a"`/`"a+"` a missing file is created.
 * @throws NotRegularFileError when it is anything but a regular file; the open error (ENOENT, EACCES…) as it is.
 * @example
 * const fh = await openRegular(file, "r", "hashing the model");
 */
export async function openRegular(path: string, flags: RegularOpenFlags = "r", context = "reading"): Promise<fsp.FileHandle> {
  precheck(path, await fsp.stat(path).catch(() => undefined), context);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, FLAGS[flags] | NONBLOCK);
  } catch (err) {
    throw openFailureSync(path, err, context); // only stat calls, which never block
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotRegularFileError(path, fileTypeOf(st), context, "a regular file");
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}

/** Synchronous {@link openRegular}: returns a file descriptor the caller closes. */
export function openRegularSync(path: string, flags: RegularOpenFlags = "r", context = "reading"): number {
  let before: Stats | undefined;
  try {
    before = statSync(path);
  } catch {
    before = undefined; // missing: the open says so (or creates it)
  }
  precheck(path, before, context);
  let fd: number;
  try {
    fd = openSync(path, FLAGS[flags] | NONBLOCK);
  } catch (err) {
    throw openFailureSync(path, err, context);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(path, fileTypeOf(st), context, "a regular file");
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/**
 * The bytes of a regular file. @throws NotRegularFileError for anything else (see {@link openRegular}).
 * @example
 * const meta = JSON.parse((await readRegularFile(join(run, "run.plx.json"), "loading the run")).toString("utf8"));
 */
export async function readRegularFile(path: string, context = "reading"): Promise<Buffer> {
  const fh = await openRegular(path, "r", context);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** The text (UTF-8) of a regular file. @throws NotRegularFileError for anything else. */
export async function readRegularText(path: string, context = "reading"): Promise<string> {
  return (await readRegularFile(path, context)).toString("utf8");
}

/** Synchronous {@link readRegularFile}. */
export function readRegularFileSync(path: string, context = "reading"): Buffer {
  const fd = openRegularSync(path, "r", context);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Synchronous {@link readRegularText}. */
export function readRegularTextSync(path: string, context = "reading"): string {
  return readRegularFileSync(path, context).toString("utf8");
}

/** Refuses what `stat` already shows is no regular file, before any `open()` (which may have side effects on devices). */
function precheck(path: string, st: Stats | undefined, context: string): void {
  if (st && !st.isFile()) throw new NotRegularFileError(path, fileTypeOf(st), context, "a regular file");
}

/**
 * Says what was in the way when `open()` failed: ENXIO is a socket (or a FIFO without a reader,
 * in write modes), EISDIR a folder, ENOTDIR a parent on the way that is not a folder.
 */
function openFailureSync(path: string, err: unknown, context: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOTDIR") {
    const blocker = firstNonFolderAncestor(path);
    return blocker ? new NotRegularFileError(blocker.path, blocker.type, context, "a folder") : err;
  }
  if (code !== "ENXIO" && code !== "EISDIR") return err;
  let type = "special file";
  try {
    type = fileTypeOf(statSync(path));
  } catch {
    // gone meanwhile: "special file" is all that is known
  }
  return new NotRegularFileError(path, type, context, "a regular file");
}

/** The outermost parent folder of `path` that exists but is not a folder (a file, FIFO, socket…). */
function firstNonFolderAncestor(path: string): { path: string; type: string } | undefined {
  const parts = resolve(path).split(sep);
  for (let i = 2; i < parts.length; i++) {
    const p = parts.slice(0, i).join(sep);
    let st: Stats;
    try {
      st = statSync(p);
    } catch {
      return undefined;
    }
    if (!st.isDirectory()) return { path: p, type: fileTypeOf(st) };
  }
  return undefined;
}

import { readdir, lstat } from "node:fs/promises";
import { basename, join } from "node:path";
import { ArtifactNotFoundError, CorruptRunError } from "../core/errors.js";
import { readRegularText } from "../core/fs-safe.js";

/** runtrail's private folder inside a run: never synced, never listed. */
export const PRIVATE_DIR = ".runtrail";
/** Written last by a sync (and read first by a reader), so lineage never points at a missing object. */
export const METADATA_FILES: readonly string[] = ["lineages.plx.json", "run.plx.json"];

const UUID_RE = /^[0-9a-f]{32}$/;

/** One regular file of a run folder, as seen by one `lstat`. */
export interface RunFile {
  /** Path relative to the run folder, with `/` separators. */
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/**
 * The run's uuid: the folder name when it is 32 lowercase hex, else `uuid` in `run.plx.json`.
 *
 * @throws ArtifactNotFoundError when the folder does not exist; CorruptRunError when no uuid can be found.
 */
export async function resolveRunUuid(runPath: string): Promise<string> {
  const st = await lstat(runPath).catch((err: unknown) => {
    throw new ArtifactNotFoundError(`run folder ${runPath} does not exist or cannot be read`, runPath, err);
  });
  if (!st.isDirectory()) throw new ArtifactNotFoundError(`${runPath} is not a run folder`, runPath);
  const name = basename(runPath.replace(/[\\/]+$/, ""));
  if (UUID_RE.test(name)) return name;
  let meta: unknown;
  try {
    meta = JSON.parse(await readRegularText(join(runPath, "run.plx.json"), "reading the run's uuid"));
  } catch (err) {
    throw new CorruptRunError(
      `cannot tell the run uuid of ${runPath}: its folder name is not 32 hex characters and run.plx.json is missing or unreadable`,
      runPath,
      err,
    );
  }
  const uuid = (meta as { uuid?: unknown } | null)?.uuid;
  if (typeof uuid !== "string" || !UUID_RE.test(uuid)) {
    throw new CorruptRunError(`run.plx.json in ${runPath} has no valid "uuid" (32 lowercase hex)`, uuid);
  }
  return uuid;
}

/**
 * Every regular file under the run folder except `.runtrail/`, sorted by path. Symlinks are
 * not followed (a link could lead out of the run) and are returned in `ignored`. Entries that
 * vanish while walking (temp files of atomic writes) are skipped.
 */
export async function listRunFiles(runPath: string): Promise<{ files: RunFile[]; ignored: string[] }> {
  const files: RunFile[] = [];
  const ignored: string[] = [];
  const pending: string[] = [""];
  while (pending.length > 0) {
    const relDir = pending.pop()!;
    let entries;
    try {
      entries = await readdir(join(runPath, relDir), { withFileTypes: true });
    } catch (err) {
      if (isGone(err) && relDir !== "") continue;
      throw err;
    }
    for (const entry of entries) {
      const rel = relDir === "" ? entry.name : `${relDir}/${entry.name}`;
      if (rel === PRIVATE_DIR) continue;
      if (entry.isDirectory()) pending.push(rel);
      else if (entry.isFile()) {
        const abs = join(runPath, rel);
        try {
          const st = await lstat(abs);
          if (st.isFile()) files.push({ rel, abs, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
        } catch (err) {
          if (!isGone(err)) throw err;
        }
      } else ignored.push(rel);
    }
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { files, ignored };
}

/** True for "the file is not there (any more)" errors. */
export function isGone(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
